using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Hybrid.Data;
using Hybrid.Imaging;
using MathNet.Numerics.LinearAlgebra;

namespace Hybrid.Cli;

/// <summary>
/// <c>hybrid predict MODEL PICTURE…</c>: each picture through the MNIST-style pipeline (or the naive one, to compare),
/// then the model; the digit, its probability and the next two. A bad picture is reported and the others go on.
/// </summary>
static class PredictImages
{
    public static (Option<bool> Json, Option<DirectoryInfo?> Show, Option<string> Preprocess) Options()
    {
        var json = new Option<bool>("--json") { Description = "Print one JSON object per picture (one per line) instead of a table." };
        var show = new Option<DirectoryInfo?>("--show") { Description = "Write the 28×28 image the model saw for each picture, as PNG, into this folder." };
        var preprocess = new Option<string>("--preprocess")
        {
            Description = "mnist: grey, background removed, cropped, fitted into 20×20 and centred by mass in 28×28 (default); " +
                          "naive: grey, resized to 28×28, inverted (for comparison).",
            DefaultValueFactory = _ => "mnist",
        };
        preprocess.AcceptOnlyFromAmong("mnist", "naive");
        return (json, show, preprocess);
    }

    /// <summary>True when the files are pictures (by extension) rather than an IDX file.</summary>
    public static bool ArePictures(IReadOnlyList<FileInfo> files) =>
        files.Any(f => Dataset.ImageExtensions.Contains(f.Extension.ToLowerInvariant()));

    public static int Run(Model model, IReadOnlyList<FileInfo> files, bool json, string? show, string preprocess)
    {
        if (model.Inputs != MnistStyle.Side * MnistStyle.Side)
            throw new ArgumentException($"predict: pictures become 28×28 = 784 features, but the model takes {model.Inputs}.");
        if (show is not null) Directory.CreateDirectory(show);
        var failed = 0;
        if (!json) Console.WriteLine("picture\tdigit\tprobability\tnext");
        using var stdout = Console.OpenStandardOutput();
        foreach (var file in files)
        {
            float[] features;
            try
            {
                var image = ImageFile.Read(file.FullName, greyscale: true);
                features = preprocess == "naive" ? MnistStyle.Naive(image) : MnistStyle.Prepare(image, file.FullName);
            }
            catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
            {
                failed++;
                Console.Error.WriteLine($"hybrid: {e.Message}");
                if (json) Line(stdout, w => w.WriteString("error", e.Message), file.FullName);
                continue;
            }

            if (show is not null)
                ImageFile.Save(new Image(MnistStyle.Side, MnistStyle.Side, 1, features), Path.Combine(show, Path.GetFileNameWithoutExtension(file.Name) + ".28.png"));
            var probabilities = model.Predict(Matrix<float>.Build.DenseOfRowMajor(1, features.Length, features)).Probabilities;
            var ranked = Enumerable.Range(0, probabilities.ColumnCount).OrderByDescending(k => probabilities[0, k]).Take(3).ToArray();
            if (json)
                Line(stdout, w =>
                {
                    w.WriteNumber("digit", ranked[0]);
                    w.WriteNumber("probability", Math.Round(probabilities[0, ranked[0]], 6));
                    w.WriteStartArray("top");
                    foreach (var k in ranked)
                    {
                        w.WriteStartObject();
                        w.WriteNumber("digit", k);
                        w.WriteNumber("probability", Math.Round(probabilities[0, k], 6));
                        w.WriteEndObject();
                    }

                    w.WriteEndArray();
                }, file.FullName);
            else
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{file.Name}\t{ranked[0]}\t{probabilities[0, ranked[0]]:F4}\t{string.Join(", ", ranked.Skip(1).Select(k => string.Create(CultureInfo.InvariantCulture, $"{k} {probabilities[0, k]:F4}")))}"));
        }

        return failed == 0 ? 0 : 1;
    }

    static void Line(Stream stdout, Action<Utf8JsonWriter> body, string file)
    {
        using (var w = new Utf8JsonWriter(stdout))
        {
            w.WriteStartObject();
            w.WriteString("file", file);
            body(w);
            w.WriteEndObject();
        }

        stdout.WriteByte((byte)'\n');
        stdout.Flush();
    }
}
