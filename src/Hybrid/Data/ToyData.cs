using MathNet.Numerics.LinearAlgebra;

namespace Hybrid.Data;

/// <summary>
/// Small two-dimensional data sets for learning what a network does, in the manner of scikit-learn's
/// <c>make_moons</c> and <c>make_circles</c>: truth tables (AND, OR, XOR) and point clouds that no straight line
/// separates. Two-class sets have one target column (0 or 1, for a sigmoid output); every set is seeded.
/// </summary>
public static class ToyData
{
    /// <summary>The truth table of AND on {0, 1}²: four samples.</summary>
    public static Dataset And() => Table((a, b) => a & b);

    /// <summary>The truth table of OR on {0, 1}²: four samples.</summary>
    public static Dataset Or() => Table((a, b) => a | b);

    /// <summary>The truth table of XOR on {0, 1}²: four samples that no single line separates.</summary>
    public static Dataset Xor() => Table((a, b) => a ^ b);

    /// <summary>Two interleaving half circles (class 0 above, class 1 below), with Gaussian noise of standard deviation <paramref name="noise"/>.</summary>
    public static Dataset Moons(int count = 200, double noise = 0.1, int seed = 1)
    {
        var rng = Check(count, noise, seed);
        return Points(count, rng, noise, (i, r) =>
        {
            var upper = i % 2 == 0;
            var t = Math.PI * r.NextDouble();
            return upper ? (Math.Cos(t), Math.Sin(t), 0) : (1 - Math.Cos(t), 0.5 - Math.Sin(t), 1);
        });
    }

    /// <summary>A circle of class 0 around a smaller concentric circle of class 1 (radius <paramref name="factor"/>), with Gaussian noise.</summary>
    public static Dataset Circles(int count = 200, double noise = 0.08, double factor = 0.5, int seed = 1)
    {
        if (!(factor > 0 && factor < 1)) throw new ArgumentOutOfRangeException(nameof(factor), factor, "ToyData.Circles: the inner radius must be in (0, 1).");
        var rng = Check(count, noise, seed);
        return Points(count, rng, noise, (i, r) =>
        {
            var t = 2 * Math.PI * r.NextDouble();
            var radius = i % 2 == 0 ? 1.0 : factor;
            return (radius * Math.Cos(t), radius * Math.Sin(t), i % 2);
        });
    }

    /// <summary>Two spirals wound around each other, one per class, with Gaussian noise.</summary>
    public static Dataset Spirals(int count = 200, double noise = 0.05, int seed = 1)
    {
        var rng = Check(count, noise, seed);
        return Points(count, rng, noise, (i, r) =>
        {
            var t = 0.25 + (3 * Math.PI - 0.25) * r.NextDouble(); // angle in [0.25, 3π)
            var sign = i % 2 == 0 ? 1 : -1;
            var radius = t / (3 * Math.PI);
            return (sign * radius * Math.Cos(t), sign * radius * Math.Sin(t), i % 2);
        });
    }

    static Random Check(int count, double noise, int seed)
    {
        if (count < 2) throw new ArgumentOutOfRangeException(nameof(count), count, "ToyData: at least two points are needed.");
        if (!(noise >= 0)) throw new ArgumentOutOfRangeException(nameof(noise), noise, "ToyData: the noise must be a non-negative standard deviation.");
        return new Random(seed);
    }

    static Dataset Points(int count, Random rng, double noise, Func<int, Random, (double X, double Y, int Label)> draw)
    {
        var features = Matrix<float>.Build.Dense(count, 2);
        var labels = new int[count];
        for (var i = 0; i < count; i++)
        {
            var (x, y, label) = draw(i, rng);
            features[i, 0] = (float)(x + noise * Gaussian(rng));
            features[i, 1] = (float)(y + noise * Gaussian(rng));
            labels[i] = label;
        }

        return Dataset.FromBinaryLabels(features, labels);
    }

    // Box–Muller: one standard normal draw.
    static double Gaussian(Random rng) => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());

    static Dataset Table(Func<int, int, int> f)
    {
        var features = Matrix<float>.Build.DenseOfArray(new float[,] { { 0, 0 }, { 0, 1 }, { 1, 0 }, { 1, 1 } });
        return Dataset.FromBinaryLabels(features, [f(0, 0), f(0, 1), f(1, 0), f(1, 1)]);
    }
}
