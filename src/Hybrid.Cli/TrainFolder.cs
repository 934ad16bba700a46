using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Hybrid.Data;

namespace Hybrid.Cli;

/// <summary>
/// <c>hybrid train folder DIR</c>: an MLP trained on a folder of pictures with one subfolder per class
/// (<see cref="Dataset.FromImageFolder"/>): for two classes one output with binary cross-entropy on its logit (a
/// sigmoid classifier), for more a softmax over the classes; a seeded part of the pictures is held out for validation.
/// </summary>
static class TrainFolder
{
    internal sealed class FolderOptions : List<Option>
    {
        public required Option<double?> Split { get; init; }
        public required Option<int> Size { get; init; }
        public required Option<bool> Colour { get; init; }
        public required Option<string> Preprocess { get; init; }
    }

    public static (Argument<DirectoryInfo?> Folder, Option<bool> Augment, FolderOptions Options) Options()
    {
        var folder = new Argument<DirectoryInfo?>("dir") { Description = "For folder: the folder of pictures, one subfolder per class.", Arity = ArgumentArity.ZeroOrOne };
        var augment = new Option<bool>("--augment")
        {
            Description = "Seeded random shifts (±2 px), rotations (±12°), scalings (0.85–1.15) and stroke thickness of each training image, every epoch.",
        };
        var split = new Option<double?>("--validation-split")
        {
            Description = "The part of the training data held out for validation, seeded (default: 0.1 of MNIST's training set, stratified by digit; 0.2 of a folder's pictures; 0: none).",
        };
        var size = new Option<int>("--size") { Description = "For folder: pictures are resized to SIZE×SIZE pixels.", DefaultValueFactory = _ => 28 };
        var colour = new Option<bool>("--colour") { Description = "For folder: keep three colour channels (default: grey)." };
        var preprocess = new Option<string>("--preprocess")
        {
            Description = "For folder: resize (default), or mnist (the MNIST-style pipeline, for pictures of digits; 28×28 grey).", DefaultValueFactory = _ => "resize",
        };
        preprocess.AcceptOnlyFromAmong("resize", "mnist");
        var options = new FolderOptions { Split = split, Size = size, Colour = colour, Preprocess = preprocess };
        options.AddRange([split, size, colour, preprocess]);
        return (folder, augment, options);
    }

    public static int Run(TrainCommand.Settings s, ParseResult parse, Argument<DirectoryInfo?> folderArgument, FolderOptions o)
    {
        var folder = parse.GetValue(folderArgument)?.FullName ?? throw new ArgumentException("train folder: give the folder of pictures: hybrid train folder DIR.");
        var size = parse.GetValue(o.Size);
        var mnistStyle = parse.GetValue(o.Preprocess) == "mnist";
        var colour = parse.GetValue(o.Colour);
        if (mnistStyle && (colour || size != 28)) throw new ArgumentException("train folder: --preprocess mnist makes grey 28×28 images; drop --colour and --size.");
        if (s.Save is not null) CheckWritable(s.Save);
        var console = Output.For(s.Json);
        var data = Dataset.FromImageFolder(folder, size, size, !colour, parse.GetValue(o.Split) ?? 0.2, s.Seed,
            preparation: mnistStyle ? ImagePreparation.MnistStyle : ImagePreparation.Resize);
        var binary = data.Classes.Count == 2;
        console.Note($"{folder}: {data.Train.Count + (data.Validation?.Count ?? 0):N0} pictures in {data.Classes.Count} classes ({string.Join(", ", data.Classes)}); " +
                     $"training on {data.Train.Count:N0}, validating on {data.Validation?.Count ?? 0:N0}");

        var builder = Network.Sequential(data.Train.FeatureCount);
        foreach (var width in s.Hidden)
        {
            builder = builder.Dense(width, Activation.ReLU, s.Init);
            if (s.Dropout > 0) builder = builder.Dropout(s.Dropout);
        }

        var model = builder.Dense(binary ? 1 : data.Classes.Count, weights: s.Init)
            .Compile(binary ? Loss.BinaryCrossEntropyWithLogits : Loss.SoftmaxCrossEntropy, Recipe.Optimizer(s.Optimizer, s.Lr, s.Momentum, s.WeightDecay),
                Recipe.Schedule(s.Schedule, s.Epochs), s.ClipNorm, s.Seed);
        console.Note($"model: {model.Description}");
        var validation = data.Validation ?? data.Train;
        var augmentation = s.Augment ? Augmentation.Default with { Seed = s.Seed } : null;
        var history = console.Train(model, data.Train, validation, s.Epochs, s.Batch, augmentation);
        var result = model.Evaluate(validation);
        var what = data.Validation is null ? "training" : "validation";
        console.Note(string.Create(CultureInfo.InvariantCulture,
            $"{what} accuracy {Recipe.Percent(result.Accuracy)}, {what} loss {result.Loss:F4} on {result.Count:N0} pictures"));
        if (s.Save is not null)
        {
            model.Save(s.Save);
            console.Note($"saved {s.Save} (label i is class i of: {string.Join(", ", data.Classes)})");
        }

        if (!s.Json) return 0;

        using var stdout = Console.OpenStandardOutput();
        using (var w = new Utf8JsonWriter(stdout))
        {
            w.WriteStartObject();
            w.WriteString("dataset", folder);
            w.WriteStartArray("classes");
            foreach (var c in data.Classes) w.WriteStringValue(c);
            w.WriteEndArray();
            w.WriteString("loss", model.Loss.Name);
            w.WriteNumber("train_pictures", data.Train.Count);
            w.WriteNumber("validation_pictures", data.Validation?.Count ?? 0);
            w.WriteNumber("validation_accuracy", result.Accuracy);
            w.WriteNumber("validation_loss", result.Loss);
            w.WriteStartArray("epochs");
            foreach (var e in history.Epochs)
            {
                w.WriteStartObject();
                w.WriteNumber("epoch", e.Epoch);
                w.WriteNumber("loss", e.Loss);
                w.WriteNumber("accuracy", e.Accuracy);
                if (e.ValidationAccuracy is { } va) w.WriteNumber("validation_accuracy", va);
                w.WriteNumber("seconds", Math.Round(e.Seconds, 3));
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteBoolean("augment", s.Augment);
            w.WriteEndObject();
        }

        stdout.WriteByte((byte)'\n');
        return 0;
    }

    /// <summary>The destination is checked before the long work: its folder must exist or be creatable, and it must not be a folder.</summary>
    static void CheckWritable(string path)
    {
        if (Directory.Exists(path)) throw new ArgumentException($"--save: {path} is a folder; give a file name.");
        var parent = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(parent);
    }
}
