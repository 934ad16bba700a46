using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Hybrid.LinearAlgebra;
using MathNet.Numerics.Providers.LinearAlgebra;

namespace Hybrid.Cli;

/// <summary>
/// <c>hybrid bench gemm</c>: float32 matrix products at the shapes and transpose forms the fused trainer issues, timed
/// interleaved (one call of each implementation in turn, many rounds) on OpenBLAS, the Simd provider's Vector256 path
/// and its Vector512 path; GFLOP/s from the fastest and the median call.
/// </summary>
static class GemmBench
{
    /// <summary>One product: C (m×n) = op(A)·op(B), op(A) m×k, op(B) k×n; form is "NT", "NN" or "TN" (op(A), op(B)).</summary>
    sealed record Case(string Label, string Form, int M, int N, int K);

    /// <summary>
    /// The dense products of one training step (Training.Fused.fs): forward out = X·Wᵀ (NT: batch, out, in), input
    /// gradient G·W (NN: batch, in, out), weight gradient Gᵀ·X (TN: out, in, batch); and a square 2048³.
    /// </summary>
    static IEnumerable<Case> Default()
    {
        foreach (var (label, inputs, outputs, batch) in new[]
                 {
                     ("1024-1024 b256", 1024, 1024, 256), ("1024-10 b256", 1024, 10, 256), ("512-256 b128", 512, 256, 128),
                     ("2048-10 b512", 2048, 10, 512),
                 })
        {
            yield return new Case(label + " forward", "NT", batch, outputs, inputs);
            yield return new Case(label + " input grad", "NN", batch, inputs, outputs);
            yield return new Case(label + " weight grad", "TN", outputs, inputs, batch);
        }

        yield return new Case("2048³", "NN", 2048, 2048, 2048);
    }

    public static Command Create()
    {
        var threads = new Option<string>("--threads") { Description = "Thread counts, comma-separated.", DefaultValueFactory = _ => "1,2" };
        var shape = new Option<string?>("--shape") { Description = "One product instead of the trainer's: MxNxK or MxNxK:FORM (FORM NN, NT, TN or TT)." };
        var rounds = new Option<int>("--rounds") { Description = "Timed calls of each implementation (interleaved).", DefaultValueFactory = _ => 40 };
        var json = new Option<bool>("--json") { Description = "One JSON line per product and thread count instead of the table." };
        var command = new Command("gemm", "Time float32 matrix products: OpenBLAS, Simd Vector256, Simd Vector512 (interleaved).")
        {
            threads, shape, rounds, json,
        };
        command.SetAction(parse => Run(parse.GetValue(threads)!, parse.GetValue(shape), parse.GetValue(rounds), parse.GetValue(json)));
        return command;
    }

    static Case Parse(string text)
    {
        var parts = text.Split(':');
        var dims = parts[0].Split('x');
        var form = parts.Length > 1 ? parts[1].ToUpperInvariant() : "NN";
        if (dims.Length != 3 || !dims.All(d => int.TryParse(d, out var v) && v > 0) || form is not ("NN" or "NT" or "TN" or "TT"))
            throw new ArgumentException($"--shape: '{text}' is not MxNxK or MxNxK:FORM with positive sizes and FORM NN, NT, TN or TT");
        var (m, n, k) = (int.Parse(dims[0], CultureInfo.InvariantCulture), int.Parse(dims[1], CultureInfo.InvariantCulture),
            int.Parse(dims[2], CultureInfo.InvariantCulture));
        return new Case($"{m}x{n}x{k}", form, m, n, k);
    }

    static int Run(string threadList, string? shape, int rounds, bool json)
    {
        Checks.AtLeast("--rounds", rounds, 1);
        var counts = threadList.Split(',').Select(t => int.TryParse(t, out var v) && v >= 1
            ? v
            : throw new ArgumentException($"--threads: '{t}' is not a positive thread count")).ToArray();
        var cases = shape is null ? Default().ToList() : [Parse(shape)];

        var openBlas = new OpenBlasProvider();
        var available = openBlas.IsAvailable();
        var narrow = new SimdProvider { VectorBits = 256 };
        SimdProvider? wide = System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated ? new SimdProvider { VectorBits = 512 } : null;
        var names = new List<string>();
        var impls = new List<Action<int>>();
        if (available)
        {
            names.Add("openblas");
            impls.Add(t => openBlas.Threads = t);
        }

        names.Add("simd256");
        impls.Add(t => narrow.Threads = t);
        if (wide is not null)
        {
            names.Add("simd512");
            impls.Add(t => wide.Threads = t);
        }

        var providers = new List<ILinearAlgebraProvider<float>>();
        if (available) providers.Add(openBlas);
        providers.Add(narrow);
        if (wide is not null) providers.Add(wide);

        if (!json)
        {
            Console.WriteLine($"float32 GFLOP/s, fastest call / median call over {rounds} interleaved rounds; {Environment.ProcessorCount} cores");
            Console.WriteLine($"| product | form | m | n | k | threads | {string.Join(" | ", names)} | {names[^1]} / {names[0]} (fastest) | max abs diff |");
            Console.WriteLine("|---|---|---|---|---|---|" + string.Concat(names.Select(_ => "---|")) + "---|---|");
        }

        foreach (var c in cases)
        foreach (var t in counts)
        {
            foreach (var set in impls) set(t);
            var (rowsA, colsA) = c.Form[0] == 'T' ? (c.K, c.M) : (c.M, c.K);
            var (rowsB, colsB) = c.Form[1] == 'T' ? (c.N, c.K) : (c.K, c.N);
            var ta = c.Form[0] == 'T' ? Transpose.Transpose : Transpose.DontTranspose;
            var tb = c.Form[1] == 'T' ? Transpose.Transpose : Transpose.DontTranspose;
            var rng = new Random(1);
            var a = Enumerable.Range(0, rowsA * colsA).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
            var b = Enumerable.Range(0, rowsB * colsB).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
            var results = providers.Select(_ => new float[c.M * c.N]).ToArray();
            var flops = 2.0 * c.M * c.N * c.K;
            // Each timing is of enough calls to take about a millisecond, so small products are not timer noise.
            var calls = (int)Math.Clamp(1e8 / flops, 1, 10000);
            var times = providers.Select(_ => new List<double>()).ToArray();
            for (var round = -2; round < rounds; round++) // two untimed rounds first: code compiled, buffers grown
            for (var i = 0; i < providers.Count; i++)
            {
                var start = Stopwatch.GetTimestamp();
                for (var call = 0; call < calls; call++)
                    providers[i].MatrixMultiplyWithUpdate(ta, tb, 1f, a, rowsA, colsA, b, rowsB, colsB, 0f, results[i]);
                var seconds = Stopwatch.GetElapsedTime(start).TotalSeconds / calls;
                if (round >= 0) times[i].Add(seconds);
            }

            var diff = 0.0;
            for (var i = 1; i < providers.Count; i++)
            for (var e = 0; e < results[0].Length; e++)
                diff = Math.Max(diff, Math.Abs(results[i][e] - results[0][e]));
            var best = times.Select(x => flops / x.Min() / 1e9).ToArray();
            var median = times.Select(x => flops / Recipe.Median(x) / 1e9).ToArray();
            if (json)
            {
                var record = new Dictionary<string, object>
                {
                    ["product"] = c.Label, ["form"] = c.Form, ["m"] = c.M, ["n"] = c.N, ["k"] = c.K, ["threads"] = t, ["rounds"] = rounds,
                    ["max_abs_diff"] = diff,
                };
                for (var i = 0; i < names.Count; i++)
                {
                    record[names[i] + "_gflops_best"] = Math.Round(best[i], 1);
                    record[names[i] + "_gflops_median"] = Math.Round(median[i], 1);
                }

                Console.WriteLine(JsonSerializer.Serialize(record));
            }
            else
            {
                var cells = string.Join(" | ", best.Zip(median, (x, y) => string.Create(CultureInfo.InvariantCulture, $"{x:F0} / {y:F0}")));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {c.Label} | {c.Form} | {c.M} | {c.N} | {c.K} | {t} | {cells} | {best[^1] / best[0]:F2} | {diff:G2} |"));
            }
        }

        return 0;
    }
}
