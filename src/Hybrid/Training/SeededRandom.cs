using System.Runtime.CompilerServices;

namespace Hybrid.Training;

/// <summary>
/// The generator <c>new Random(seed)</c> is (Knuth's subtractive generator, as .NET has kept it for seeded
/// instances), draw for draw, with its state readable and restorable so that a checkpoint can carry it. A test
/// checks every method Hybrid uses against <see cref="Random"/> itself, so the results of training do not change.
/// </summary>
sealed class SeededRandom : Random
{
    /// <summary>The state's length: the 56 words of the table (word 0 unused), then the two indices.</summary>
    public const int StateLength = 58;

    readonly int[] table = new int[56];
    int next;
    int nextP;

    public SeededRandom(int seed)
    {
        // The table's set-up, as System.Random's seeded implementation does it.
        var subtraction = seed == int.MinValue ? int.MaxValue : Math.Abs(seed);
        var mj = 161803398 - subtraction;
        table[55] = mj;
        var mk = 1;
        var ii = 0;
        for (var i = 1; i < 55; i++)
        {
            if ((ii += 21) >= 55) ii -= 55;
            table[ii] = mk;
            mk = mj - mk;
            if (mk < 0) mk += int.MaxValue;
            mj = table[ii];
        }

        for (var k = 1; k < 5; k++)
        {
            for (var i = 1; i < 56; i++)
            {
                var n = i + 30;
                if (n >= 55) n -= 55;
                table[i] -= table[1 + n];
                if (table[i] < 0) table[i] += int.MaxValue;
            }
        }

        next = 0;
        nextP = 21;
    }

    /// <summary>A copy of the state: the table's 56 words, then the two indices.</summary>
    public int[] State => [.. table, next, nextP];

    /// <summary>
    /// Puts back a state from <see cref="State"/>; returns null, or what is wrong with it (its length, a table word
    /// outside [0, 2³¹ − 1), an index outside [0, 55], or indices not 21 apart as the generator keeps them).
    /// </summary>
    public string? Restore(IReadOnlyList<int> state)
    {
        if (state.Count != StateLength) return $"has {state.Count} numbers, not {StateLength}";
        for (var i = 0; i < 56; i++)
            if (state[i] is < 0 or int.MaxValue)
                return $"word {i} is {state[i]}, outside [0, {int.MaxValue})";
        int a = state[56], b = state[57];
        if (a is < 0 or > 55 || b is < 0 or > 55) return $"its indices {a} and {b} are not both in [0, 55]";
        // Both indices advance together through 1..55, so they stay 21 apart (mod 55) from the seeding on.
        if (((b - a) % 55 + 55) % 55 != 21) return $"its indices {a} and {b} are not 21 apart";
        for (var i = 0; i < 56; i++) table[i] = state[i];
        next = a;
        nextP = b;
        return null;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per sample (shuffle, dropout): optimised from its first call
    int InternalSample()
    {
        var i = next + 1;
        if (i >= 56) i = 1;
        var j = nextP + 1;
        if (j >= 56) j = 1;
        var value = table[i] - table[j];
        if (value == int.MaxValue) value--;
        if (value < 0) value += int.MaxValue;
        table[i] = value;
        next = i;
        nextP = j;
        return value;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per sample (shuffle, dropout): optimised from its first call
    protected override double Sample() => InternalSample() * (1.0 / int.MaxValue);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per sample (shuffle, dropout): optimised from its first call
    public override int Next() => InternalSample();

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per sample (shuffle, dropout): optimised from its first call
    public override int Next(int maxValue)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxValue);
        return (int)(Sample() * maxValue);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per sample (shuffle, dropout): optimised from its first call
    public override int Next(int minValue, int maxValue)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minValue, maxValue);
        var range = (long)maxValue - minValue;
        return range <= int.MaxValue ? (int)(Sample() * range) + minValue : (int)((long)(LargeRangeSample() * range) + minValue);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per sample (shuffle, dropout): optimised from its first call
    public override double NextDouble() => Sample();

    public override float NextSingle() => (float)Sample();

    public override void NextBytes(byte[] buffer)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        NextBytes(buffer.AsSpan());
    }

    public override void NextBytes(Span<byte> buffer)
    {
        for (var i = 0; i < buffer.Length; i++) buffer[i] = (byte)InternalSample();
    }

    double LargeRangeSample()
    {
        var result = InternalSample();
        if (InternalSample() % 2 == 0) result = -result;
        double d = result;
        d += int.MaxValue - 1;
        d /= 2u * int.MaxValue - 1;
        return d;
    }
}
