using System.Globalization;
using Hybrid.Training;

namespace Hybrid.Charts;

/// <summary>The standard pictures of a training run: learning curves and the confusion matrix.</summary>
public static class TrainingCharts
{
    /// <summary>Training (and validation, when measured) loss per epoch.</summary>
    public static Chart Loss(History history)
    {
        ArgumentNullException.ThrowIfNull(history);
        return Chart.Lines(Curves(history, e => e.Loss, e => e.ValidationLoss), "epoch", "loss").WithTitle("Loss");
    }

    /// <summary>Training (and validation, when measured) accuracy per epoch.</summary>
    public static Chart Accuracy(History history)
    {
        ArgumentNullException.ThrowIfNull(history);
        return Chart.Lines(Curves(history, e => e.Accuracy, e => e.ValidationAccuracy), "epoch", "accuracy", zeroY: false).WithTitle("Accuracy");
    }

    /// <summary>The confusion matrix of an evaluation: true class down, predicted class across, counts in the cells.</summary>
    /// <exception cref="ArgumentException">The evaluation has no confusion matrix (a regression).</exception>
    public static Chart ConfusionMatrix(Evaluation evaluation)
    {
        ArgumentNullException.ThrowIfNull(evaluation);
        var counts = evaluation.ConfusionMatrix
                     ?? throw new ArgumentException("TrainingCharts.ConfusionMatrix: this evaluation has no confusion matrix (no class labels).", nameof(evaluation));
        var values = new double[counts.GetLength(0), counts.GetLength(1)];
        for (var i = 0; i < counts.GetLength(0); i++)
        for (var j = 0; j < counts.GetLength(1); j++)
            values[i, j] = counts[i, j];
        return Chart.Heatmap(values, rowTitle: "true class", columnTitle: "predicted class", annotate: true)
            .WithTitle(string.Create(CultureInfo.InvariantCulture, $"Confusion matrix ({evaluation.Accuracy:P2} correct)"));
    }

    /// <summary>A report of a run: the settings as a paragraph, the learning curves and the confusion matrix.</summary>
    public static Report Report(string title, string settings, History history, Evaluation evaluation)
    {
        ArgumentNullException.ThrowIfNull(evaluation);
        var report = new Report(title).Paragraph(settings)
            .Add(Loss(history).WithSize(420, 260), "Mean loss per epoch.")
            .Add(Accuracy(history).WithSize(420, 260), "Accuracy per epoch.");
        if (evaluation.ConfusionMatrix is not null) report.Add(ConfusionMatrix(evaluation).WithSize(360, 360), "Test set: rows are true classes, columns predictions.");
        return report;
    }

    static IEnumerable<Series> Curves(History history, Func<EpochResult, double> train, Func<EpochResult, double?> validation)
    {
        var epochs = history.Epochs.Select(e => (double)e.Epoch).ToArray();
        yield return new Series("training", epochs, history.Epochs.Select(train).ToArray());
        if (history.Epochs.Any(e => validation(e) is not null))
            yield return new Series("validation", epochs, history.Epochs.Select(e => validation(e) ?? double.NaN).ToArray());
    }
}
