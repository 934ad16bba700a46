using Hybrid.LinearAlgebra;
using MathNet.Numerics.LinearAlgebra;

namespace Hybrid.Data;

/// <summary>
/// Random, seeded changes to square grey training images (MNIST's 28 × 28), drawn afresh for every sample in every
/// epoch: a shift, a rotation and a scaling about the centre (bilinear), and a thicker or thinner stroke (a blend
/// towards the 3 × 3 dilation or erosion). Pass it to <see cref="Model.Fit"/> so that a model learns digits as people
/// draw and photograph them rather than only as MNIST centred them; validation data are never changed.
/// A sample's change depends only on <see cref="Seed"/>, the epoch and the sample's index, not on the batch or the
/// threads it ran on, so training stays reproducible.
/// </summary>
public sealed record Augmentation
{
    /// <summary>The largest shift, in pixels, along each axis (default 2).</summary>
    public double MaxShift { get; init; } = 2;

    /// <summary>The largest rotation either way, in degrees (default 12).</summary>
    public double MaxRotation { get; init; } = 12;

    /// <summary>The smallest scale factor (default 0.85).</summary>
    public double MinScale { get; init; } = 0.85;

    /// <summary>The largest scale factor (default 1.15).</summary>
    public double MaxScale { get; init; } = 1.15;

    /// <summary>How far a stroke may thicken or thin, as a blend 0–1 towards its 3 × 3 dilation or erosion (default 0.6).</summary>
    public double MaxThickness { get; init; } = 0.6;

    /// <summary>The seed every change is drawn from.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>The defaults: shifts of ±2 pixels, rotations of ±12°, scales 0.85–1.15, thickness ±0.6.</summary>
    public static Augmentation Default { get; } = new();

    /// <summary>
    /// Changes one image of <paramref name="side"/> × <paramref name="side"/> values (row-major) into
    /// <paramref name="output"/>, with the change drawn for (<paramref name="epoch"/>, <paramref name="sample"/>).
    /// </summary>
    /// <exception cref="ArgumentException">The spans do not hold side² values each.</exception>
    public void Apply(ReadOnlySpan<float> image, Span<float> output, int side, int epoch, int sample)
    {
        if (side < 1 || image.Length != side * side || output.Length != side * side)
            throw new ArgumentException($"Augmentation.Apply: {image.Length} values in and {output.Length} out for a {side}×{side} image.");
        Check();
        Transform(image, output, new float[side * side], side, Draw(epoch, sample));
    }

    internal void Check()
    {
        if (!(MaxShift >= 0) || !(MaxRotation >= 0) || !(MinScale > 0) || !(MaxScale >= MinScale) || !(MaxThickness >= 0 && MaxThickness <= 1))
            throw new ArgumentException($"Augmentation: shift {MaxShift} ≥ 0, rotation {MaxRotation} ≥ 0, scales 0 < {MinScale} ≤ {MaxScale} and thickness 0 ≤ {MaxThickness} ≤ 1 are required.");
    }

    internal readonly record struct Change(double Dx, double Dy, double Angle, double Scale, double Thickness);

    /// <summary>The change for one sample: SplitMix64 of (seed, epoch, sample), so it depends on nothing else.</summary>
    internal Change Draw(int epoch, int sample)
    {
        var state = (ulong)(uint)Seed * 0x9E3779B97F4A7C15UL ^ (ulong)(uint)epoch * 0xC2B2AE3D27D4EB4FUL ^ (ulong)(uint)sample * 0x165667B19E3779F9UL;
        double Uniform()
        {
            state += 0x9E3779B97F4A7C15UL;
            var z = state;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            z ^= z >> 31;
            return (z >> 11) * (1.0 / (1UL << 53)) * 2 - 1;
        }

        return new Change(MaxShift * Uniform(), MaxShift * Uniform(), MaxRotation * Math.PI / 180 * Uniform(),
            MinScale + (MaxScale - MinScale) * (Uniform() + 1) / 2, MaxThickness * Uniform());
    }

    /// <summary>Output pixel p samples the input at the inverse of: scale and rotate about the centre, then shift.</summary>
    internal static void Transform(ReadOnlySpan<float> image, Span<float> output, Span<float> scratch, int side, Change c)
    {
        var centre = side / 2f;
        float cos = (float)(Math.Cos(c.Angle) / c.Scale), sin = (float)(Math.Sin(c.Angle) / c.Scale);
        for (var y = 0; y < side; y++)
        {
            // The inverse rotation, in pixel-centre coordinates of the source, stepped along the row (a hot loop:
            // it runs for every pixel of every training image of every epoch).
            float u = 0.5f - centre - (float)c.Dx, v = y + 0.5f - centre - (float)c.Dy;
            float sx = cos * u + sin * v + centre - 0.5f, sy = -sin * u + cos * v + centre - 0.5f;
            for (var x = 0; x < side; x++, sx += cos, sy -= sin)
                scratch[y * side + x] = Bilinear(image, side, sx, sy);
        }

        if (c.Thickness == 0)
        {
            scratch.CopyTo(output);
            return;
        }

        var t = (float)Math.Abs(c.Thickness);
        var thicken = c.Thickness > 0;
        for (var y = 0; y < side; y++)
        for (var x = 0; x < side; x++)
        {
            var extreme = scratch[y * side + x];
            for (var dy = -1; dy <= 1; dy++)
            for (var dx = -1; dx <= 1; dx++)
            {
                int qx = x + dx, qy = y + dy;
                var q = qx < 0 || qy < 0 || qx >= side || qy >= side ? 0f : scratch[qy * side + qx];
                extreme = thicken ? Math.Max(extreme, q) : Math.Min(extreme, q);
            }

            var value = scratch[y * side + x];
            output[y * side + x] = value + t * (extreme - value);
        }
    }

    static float Bilinear(ReadOnlySpan<float> image, int side, float x, float y)
    {
        if (x <= -1 || y <= -1 || x >= side || y >= side) return 0;
        int x0 = (int)MathF.Floor(x), y0 = (int)MathF.Floor(y);
        float fx = x - x0, fy = y - y0;
        if (x0 >= 0 && y0 >= 0 && x0 + 1 < side && y0 + 1 < side)
        {
            var at = y0 * side + x0;
            return (image[at] * (1 - fx) + image[at + 1] * fx) * (1 - fy) + (image[at + side] * (1 - fx) + image[at + side + 1] * fx) * fy;
        }

        return (At(image, side, x0, y0) * (1 - fx) + At(image, side, x0 + 1, y0) * fx) * (1 - fy)
               + (At(image, side, x0, y0 + 1) * (1 - fx) + At(image, side, x0 + 1, y0 + 1) * fx) * fy;
    }

    static float At(ReadOnlySpan<float> image, int side, int x, int y) => x < 0 || y < 0 || x >= side || y >= side ? 0f : image[y * side + x];
}

/// <summary>
/// Applies an <see cref="Augmentation"/> to the rows of a training batch in place, split over the worker threads
/// (the batch is filled between training steps, when the workers are idle), with one scratch buffer per part
/// allocated once, so that an epoch allocates nothing per batch.
/// </summary>
internal sealed unsafe class Augmenter
{
    readonly Augmentation settings;
    readonly int side;
    readonly Action<int> part;
    float[][] scratch = [];
    float* rows;
    int count, parts, epoch, start;
    int[] order = [];

    public Augmenter(Augmentation settings, int features)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Check();
        side = (int)Math.Round(Math.Sqrt(features));
        if (side * side != features)
            throw new ArgumentException($"Fit: augmentation changes square grey images, but a sample has {features} features (not a square).", nameof(settings));
        this.settings = settings;
        part = RunPart;
    }

    /// <summary>Changes rows 0 … count − 1 of a row-major batch whose row i is sample order[start + i].</summary>
    public void Apply(Span<float> batch, int count, int epoch, int[] order, int start)
    {
        parts = Workers.PartsFor(count, 8);
        if (scratch.Length < parts)
        {
            var grown = new float[parts][];
            for (var p = 0; p < parts; p++) grown[p] = p < scratch.Length ? scratch[p] : new float[2 * side * side];
            scratch = grown;
        }

        fixed (float* pointer = batch)
        {
            rows = pointer;
            this.count = count;
            this.epoch = epoch;
            this.order = order;
            this.start = start;
            Workers.Run(parts, part);
            rows = null;
        }
    }

    /// <summary>A batch as the graph path takes it (features and targets matrices), augmented.</summary>
    public (Matrix<float> X, Matrix<float> Y) Batch(Dataset data, int[] order, int start, int size, int epoch)
    {
        var x = new float[size * data.FeatureCount];
        var y = new float[size * data.TargetCount];
        data.Batch(order, start, size, x, y);
        Apply(x, size, epoch, order, start);
        return (Matrix<float>.Build.DenseOfRowMajor(size, data.FeatureCount, x), Matrix<float>.Build.Dense(size, data.TargetCount, y));
    }

    void RunPart(int p)
    {
        int n = side * side, from = count * p / parts, to = count * (p + 1) / parts;
        var buffer = scratch[p].AsSpan();
        for (var i = from; i < to; i++)
        {
            var row = new Span<float>(rows + (long)i * n, n);
            row.CopyTo(buffer[..n]);
            Augmentation.Transform(buffer[..n], row, buffer[n..], side, settings.Draw(epoch, order[start + i]));
        }
    }
}
