using System.Globalization;
using Hybrid.Data;
using Hybrid.Training;
using Spectre.Console;

namespace Hybrid.Cli;

/// <summary>
/// Where the command's words go: a live progress bar and tables on a terminal, plain lines when the output
/// is redirected or under CI, and only standard error (the JSON goes to standard output) with --json.
/// </summary>
abstract class Output
{
    public static Output For(bool json) =>
        json ? new Plain(Console.Error)
        : !Console.IsOutputRedirected && Environment.GetEnvironmentVariable("CI") is not "true" && AnsiConsole.Profile.Capabilities.Interactive
            ? new Terminal()
            : new Plain(Console.Out);

    public abstract void Note(string line);

    /// <summary>
    /// Trains until the model has trained <paramref name="epochs"/> epochs in all (a model resumed from a checkpoint has
    /// some already), reporting each epoch by its number in the whole run; <paramref name="callbacks"/> run after each.
    /// </summary>
    public abstract History Train(Model model, Dataset train, Dataset? validation, int epochs, int batch, Augmentation? augmentation = null,
        IReadOnlyList<Callback>? callbacks = null);

    public abstract void Summary(History history, Evaluation test);

    protected static string EpochLine(EpochResult e, int epochs)
    {
        var validation = e.ValidationLoss is { } vl
            ? string.Create(CultureInfo.InvariantCulture, $"validation loss {vl:F4}, validation accuracy {Recipe.Percent(e.ValidationAccuracy ?? double.NaN)}, ")
            : "";
        return string.Create(CultureInfo.InvariantCulture,
            $"epoch {e.Epoch}/{epochs}: loss {e.Loss:F4}, accuracy {Recipe.Percent(e.Accuracy)}, {validation}lr {e.LearningRate:G4}, {e.Seconds:F2} s");
    }

    /// <summary>Reports progress on the training thread, at once (Progress&lt;T&gt; would post to the thread pool).</summary>
    sealed class Now<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }

    protected static IProgress<T> Reporter<T>(Action<T> report) => new Now<T>(report);

    sealed class Plain(TextWriter writer) : Output
    {
        public override void Note(string line) => writer.WriteLine(line);

        public override History Train(Model model, Dataset train, Dataset? validation, int epochs, int batch, Augmentation? augmentation = null,
            IReadOnlyList<Callback>? callbacks = null)
        {
            var printer = new EpochPrinter(line => writer.WriteLine(line), epochs);
            return model.Fit(train, epochs - model.EpochsTrained, batch, validation, callbacks: [printer, .. callbacks ?? []], augmentation: augmentation);
        }

        public override void Summary(History history, Evaluation test)
        {
            writer.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"test accuracy {Recipe.Percent(test.Accuracy)}, test loss {test.Loss:F4} on {test.Count:N0} images; " +
                $"median epoch {Recipe.Median(history.Epochs.Select(e => e.Seconds)):F2} s"));
            if (test.ConfusionMatrix is { } m) writer.Write(ConfusionText(m));
        }
    }

    /// <summary>Prints a line after every epoch.</summary>
    sealed class EpochPrinter(Action<string> print, int epochs) : Callback
    {
        public override bool OnEpochEnd(Model model, EpochResult result)
        {
            print(EpochLine(result, epochs));
            return true;
        }
    }

    sealed class Terminal : Output
    {
        public override void Note(string line) => AnsiConsole.MarkupLine($"[grey]{Markup.Escape(line)}[/]");

        public override History Train(Model model, Dataset train, Dataset? validation, int epochs, int batch, Augmentation? augmentation = null,
            IReadOnlyList<Callback>? callbacks = null)
        {
            History? history = null;
            var before = model.EpochsTrained; // the progress counts this call's epochs; the run's are after these
            AnsiConsole.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                .Start(ctx =>
                {
                    ProgressTask? task = null;
                    var current = 0;
                    var progress = Reporter<TrainingProgress>(p =>
                    {
                        if (p.Epoch != current)
                        {
                            task?.StopTask();
                            current = p.Epoch;
                            task = ctx.AddTask($"epoch {before + p.Epoch}/{epochs}", maxValue: p.Batches);
                        }

                        task!.Value = p.Batch;
                        task.Description = string.Create(CultureInfo.InvariantCulture,
                            $"epoch {before + p.Epoch}/{epochs}  loss {p.Loss:F4}  acc {Recipe.Percent(p.Accuracy)}  {p.SamplesPerSecond:N0} img/s");
                    });
                    history = model.Fit(train, epochs - before, batch, validation, callbacks: callbacks, progress: progress, augmentation: augmentation);
                    task?.StopTask();
                });
            return history!;
        }

        public override void Summary(History history, Evaluation test)
        {
            var table = new Table().Title("training").AddColumns("epoch", "loss", "accuracy", "val. loss", "val. accuracy", "lr", "seconds");
            foreach (var e in history.Epochs)
                table.AddRow(e.Epoch.ToString(CultureInfo.InvariantCulture), e.Loss.ToString("F4", CultureInfo.InvariantCulture),
                    Recipe.Percent(e.Accuracy), e.ValidationLoss?.ToString("F4", CultureInfo.InvariantCulture) ?? "–",
                    Recipe.Percent(e.ValidationAccuracy ?? double.NaN), e.LearningRate.ToString("G4", CultureInfo.InvariantCulture),
                    e.Seconds.ToString("F2", CultureInfo.InvariantCulture));
            AnsiConsole.Write(table);
            AnsiConsole.MarkupLine(string.Create(CultureInfo.InvariantCulture,
                $"[bold]test accuracy {Recipe.Percent(test.Accuracy)}[/], test loss {test.Loss:F4} on {test.Count:N0} images"));
            if (test.ConfusionMatrix is not { } m) return;
            var confusion = new Table().Title("confusion matrix (rows: true digit, columns: predicted)").AddColumn("");
            for (var j = 0; j < m.GetLength(1); j++) confusion.AddColumn(j.ToString(CultureInfo.InvariantCulture));
            for (var i = 0; i < m.GetLength(0); i++)
                confusion.AddRow(new[] { i.ToString(CultureInfo.InvariantCulture) }
                    .Concat(Enumerable.Range(0, m.GetLength(1)).Select(j => i == j ? $"[green]{m[i, j]}[/]" : m[i, j] == 0 ? "[grey]0[/]" : $"{m[i, j]}"))
                    .ToArray());
            AnsiConsole.Write(confusion);
        }
    }

    public static string ConfusionText(int[,] m)
    {
        var w = new StringWriter(CultureInfo.InvariantCulture);
        w.WriteLine("confusion matrix (rows: true digit, columns: predicted)");
        w.Write("     ");
        for (var j = 0; j < m.GetLength(1); j++) w.Write($"{j,6}");
        w.WriteLine();
        for (var i = 0; i < m.GetLength(0); i++)
        {
            w.Write($"{i,5}");
            for (var j = 0; j < m.GetLength(1); j++) w.Write($"{m[i, j],6}");
            w.WriteLine();
        }

        return w.ToString();
    }
}
