using System.Runtime.CompilerServices;
namespace Hybrid.LinearAlgebra;

/// <summary>
/// A fork-join over long-lived helper threads that allocates nothing per call (Parallel.For allocates its tasks
/// and closures on every product, which a training step must not). Part 0 runs on the calling thread.
/// One job at a time: a caller that finds the pool busy runs all parts itself.
/// </summary>
static class Workers
{
    static readonly object Gate = new();
    static Helper[] helpers = [];
    static Action<int>? job;
    static int pending;
    static readonly ManualResetEventSlim Finished = new(false, spinCount: 2000);

    sealed class Helper
    {
        public readonly ManualResetEventSlim Start = new(false, spinCount: 2000);
        public int Part;
    }

    /// <summary>
    /// How many parts to split <paramref name="work"/> units into: one per <see cref="Providers.Threads"/> at most, and
    /// none smaller than <paramref name="minPerPart"/> units (below that a thread costs more than it saves); at least one.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // runs every batch: optimised from its first call, as the kernels of FastKernels.cs
    public static int PartsFor(int work, int minPerPart) => Math.Clamp(work / minPerPart, 1, Math.Max(1, Providers.Threads));

    /// <summary>Runs body(0) … body(parts − 1), in parallel where helpers are free, and returns when all are done.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // runs every batch: optimised from its first call, as the kernels of FastKernels.cs
    public static void Run(int parts, Action<int> body)
    {
        if (parts <= 1 || !Monitor.TryEnter(Gate))
        {
            for (var p = 0; p < parts; p++) body(p);
            return;
        }

        try
        {
            Grow(parts - 1);
            job = body;
            Finished.Reset();
            Volatile.Write(ref pending, parts - 1);
            for (var h = 0; h < parts - 1; h++)
            {
                helpers[h].Part = h + 1;
                helpers[h].Start.Set();
            }

            body(0);
            Finished.Wait();
        }
        finally
        {
            job = null;
            Monitor.Exit(Gate);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // runs every batch: optimised from its first call, as the kernels of FastKernels.cs
    static void Grow(int count)
    {
        if (helpers.Length >= count) return;
        var grown = new Helper[count];
        Array.Copy(helpers, grown, helpers.Length);
        for (var h = helpers.Length; h < count; h++)
        {
            var helper = grown[h] = new Helper();
            new Thread(() => Loop(helper)) { IsBackground = true, Name = $"Hybrid worker {h + 1}" }.Start();
        }

        helpers = grown;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // runs every batch: optimised from its first call, as the kernels of FastKernels.cs
    static void Loop(Helper helper)
    {
        while (true)
        {
            helper.Start.Wait();
            helper.Start.Reset();
            job!(helper.Part);
            if (Interlocked.Decrement(ref pending) == 0) Finished.Set();
        }
    }
}
