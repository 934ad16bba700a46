using MathNet.Numerics.LinearAlgebra;

namespace Hybrid.Training;

/// <summary>Progress within an epoch, reported after every batch.</summary>
/// <param name="Epoch">The epoch, from 1.</param>
/// <param name="Epochs">Epochs in this <see cref="Model.Fit"/> call.</param>
/// <param name="Batch">Batches done in this epoch.</param>
/// <param name="Batches">Batches per epoch.</param>
/// <param name="Loss">Mean training loss over the epoch so far.</param>
/// <param name="Accuracy">Training accuracy over the epoch so far: the fraction of samples whose class is predicted, or for multi-label outputs (several under binary cross-entropy, on data without class labels) of all their labels.</param>
/// <param name="SamplesPerSecond">Training throughput so far this epoch.</param>
/// <param name="Elapsed">Time spent in this epoch.</param>
/// <param name="Remaining">Estimated time to the end of the epoch.</param>
public sealed record TrainingProgress(
    int Epoch, int Epochs, int Batch, int Batches, double Loss, double Accuracy, double SamplesPerSecond, TimeSpan Elapsed, TimeSpan Remaining);

/// <summary>The outcome of one epoch.</summary>
/// <param name="Epoch">The epoch, from 1 (counting every epoch the model has trained).</param>
/// <param name="Loss">Mean training loss over the epoch's batches (weighted by batch size).</param>
/// <param name="Accuracy">Training accuracy over the epoch, counted as <see cref="TrainingProgress.Accuracy"/> is (NaN in a history restored from a checkpoint that did not record it).</param>
/// <param name="ValidationLoss">Loss on the validation data, when given.</param>
/// <param name="ValidationAccuracy">Accuracy on the validation data, when given.</param>
/// <param name="LearningRate">The learning rate used in the epoch.</param>
/// <param name="Seconds">Wall time of the epoch's training loop (validation excluded).</param>
public sealed record EpochResult(
    int Epoch, double Loss, double Accuracy, double? ValidationLoss, double? ValidationAccuracy, double LearningRate, double Seconds);

/// <summary>What <see cref="Model.Fit"/> did: one result per epoch.</summary>
/// <param name="Epochs">The epochs trained, in order.</param>
/// <param name="StoppedEarly">True when a callback (such as <see cref="EarlyStopping"/>) ended training.</param>
public sealed record History(IReadOnlyList<EpochResult> Epochs, bool StoppedEarly);

/// <summary>
/// A model's loss and accuracy on a data set, with the confusion matrix and per-class metrics for classification
/// (those of scikit-learn's <c>classification_report</c>, checked against it to 1e-6).
/// </summary>
/// <param name="Loss">Mean loss over the samples.</param>
/// <param name="Accuracy">Fraction of samples classified correctly, or for multi-label outputs (several under binary cross-entropy, on data without class labels) of all their labels.</param>
/// <param name="ConfusionMatrix">Counts [true class, predicted class], or <c>null</c> without class labels.</param>
/// <param name="Count">Number of samples.</param>
public sealed record Evaluation(double Loss, double Accuracy, int[,]? ConfusionMatrix, int Count)
{
    /// <summary>
    /// Precision, recall, F1 and support of each class that occurs among the true or the predicted classes (as
    /// scikit-learn lists them), in class order; empty without a confusion matrix. A class never predicted has
    /// precision 0, one with no samples recall 0, and F1 is 0 where precision and recall are both 0 (scikit-learn's
    /// <c>zero_division=0</c>).
    /// </summary>
    public IReadOnlyList<ClassMetrics> PerClass => ConfusionMatrix is { } m ? ClassMetrics.Of(m) : [];

    /// <summary>The unweighted mean of <see cref="PerClass"/>'s precision, recall and F1 (scikit-learn's "macro avg"); null without a confusion matrix.</summary>
    public AveragedMetrics? MacroAverage => Average(weighted: false);

    /// <summary>The mean of <see cref="PerClass"/>'s precision, recall and F1 weighted by support (scikit-learn's "weighted avg"); null without a confusion matrix.</summary>
    public AveragedMetrics? WeightedAverage => Average(weighted: true);

    AveragedMetrics? Average(bool weighted)
    {
        var classes = PerClass;
        if (classes.Count == 0) return null;
        var support = classes.Sum(c => c.Support);
        double Mean(Func<ClassMetrics, double> f) => weighted
            ? support == 0 ? 0 : classes.Sum(c => f(c) * c.Support) / support
            : classes.Average(f);
        return new AveragedMetrics(Mean(c => c.Precision), Mean(c => c.Recall), Mean(c => c.F1), support);
    }
}

/// <summary>One class's figures from a confusion matrix.</summary>
/// <param name="Class">The class.</param>
/// <param name="Precision">Of the samples predicted as the class, the fraction that are (0 when none are predicted as it).</param>
/// <param name="Recall">Of the class's samples, the fraction predicted as it (0 when it has none).</param>
/// <param name="F1">The harmonic mean of precision and recall, 2·TP / (2·TP + FP + FN) (0 when both are 0).</param>
/// <param name="Support">The class's samples.</param>
public sealed record ClassMetrics(int Class, double Precision, double Recall, double F1, int Support)
{
    internal static ClassMetrics[] Of(int[,] confusion)
    {
        var k = confusion.GetLength(0);
        var result = new List<ClassMetrics>(k);
        for (var c = 0; c < k; c++)
        {
            long tp = confusion[c, c], support = 0, predicted = 0;
            for (var j = 0; j < k; j++)
            {
                support += confusion[c, j];
                predicted += confusion[j, c];
            }

            if (support == 0 && predicted == 0) continue; // as scikit-learn: only classes seen in the truth or the predictions
            var fp = predicted - tp;
            var fn = support - tp;
            result.Add(new ClassMetrics(c, predicted == 0 ? 0 : (double)tp / predicted, support == 0 ? 0 : (double)tp / support,
                2 * tp + fp + fn == 0 ? 0 : 2.0 * tp / (2 * tp + fp + fn), (int)support));
        }

        return [.. result];
    }
}

/// <summary>Precision, recall and F1 averaged over the classes of <see cref="Evaluation.PerClass"/>.</summary>
/// <param name="Precision">The average precision.</param>
/// <param name="Recall">The average recall.</param>
/// <param name="F1">The average F1 (of the per-class F1s, not the F1 of the averages, as scikit-learn).</param>
/// <param name="Support">The samples over all these classes.</param>
public sealed record AveragedMetrics(double Precision, double Recall, double F1, int Support);

/// <summary>A model's predictions for a batch of samples.</summary>
/// <param name="Probabilities">One row per sample: class probabilities for the cross-entropy losses, raw outputs otherwise.</param>
/// <param name="Classes">The most probable class of each sample (for one output, 1 when it is above 0.5).</param>
public sealed record Prediction(Matrix<float> Probabilities, IReadOnlyList<int> Classes)
{
    /// <summary>The probabilities as plain arrays, one <c>float[]</c> per sample (row i of <see cref="Probabilities"/>).</summary>
    public float[][] ProbabilityRows() => Probabilities.ToRowArrays();
}

/// <summary>
/// Thrown when training diverges: a NaN or infinite loss, a loss that explodes (above a multiple of the mean loss over
/// the run's first samples), or non-finite weights. Names the epoch, the batch and the reason, and carries the epochs completed.
/// The model keeps the weights it had when the run stopped (after a non-finite loss, those before that batch).
/// </summary>
public sealed class TrainingDivergedException : Exception
{
    /// <summary>Creates the exception for a non-finite loss at an epoch and batch.</summary>
    public TrainingDivergedException(int epoch, int batch, double loss)
        : this(epoch, batch, loss, DivergenceReason.NonFiniteLoss, $"the loss is {loss}", [])
    {
    }

    /// <summary>Creates the exception for a divergence of any kind.</summary>
    /// <param name="epoch">The epoch (from 1).</param>
    /// <param name="batch">The batch within the epoch (from 1).</param>
    /// <param name="loss">The batch's loss.</param>
    /// <param name="reason">What diverged.</param>
    /// <param name="detail">What was seen, e.g. "the loss is NaN".</param>
    /// <param name="completed">The epochs completed before the divergence.</param>
    public TrainingDivergedException(int epoch, int batch, double loss, DivergenceReason reason, string detail, IReadOnlyList<EpochResult> completed)
        : base($"Training diverged: {detail} at epoch {epoch}, batch {batch}. " +
               "Likelier causes, in order: a loss that does not match the last layer (BinaryCrossEntropy and CategoricalCrossEntropy take " +
               "probabilities from a Sigmoid or Softmax last layer; the *WithLogits and SoftmaxCrossEntropy losses take logits, with no last activation); " +
               "a learning rate too high for the optimizer (lower it, or clip gradients with clipNorm); " +
               "data out of range (features far from [0, 1] or unstandardised, targets outside the loss's range, NaN or huge values).")
    {
        Epoch = epoch;
        Batch = batch;
        LossValue = loss;
        Reason = reason;
        CompletedEpochs = completed;
    }

    /// <summary>The epoch (from 1).</summary>
    public int Epoch { get; }

    /// <summary>The batch within the epoch (from 1).</summary>
    public int Batch { get; }

    /// <summary>The batch's loss (NaN or infinite for <see cref="DivergenceReason.NonFiniteLoss"/>).</summary>
    public double LossValue { get; }

    /// <summary>What diverged.</summary>
    public DivergenceReason Reason { get; }

    /// <summary>The epochs completed before the divergence (their results as <see cref="Model.Fit"/> would have returned them).</summary>
    public IReadOnlyList<EpochResult> CompletedEpochs { get; }
}

/// <summary>
/// Thrown when <see cref="Model.Fit"/> is cancelled through its token. Carries the results of the epochs finished in
/// that call; the model is left at the end of the last of them (the cancelled epoch's batches are undone).
/// </summary>
public sealed class TrainingCanceledException : OperationCanceledException
{
    /// <summary>Creates the exception for a cancelled run.</summary>
    /// <param name="completed">The epochs finished before the cancellation.</param>
    /// <param name="token">The token that was cancelled.</param>
    public TrainingCanceledException(IReadOnlyList<EpochResult> completed, CancellationToken token)
        : base($"Training was cancelled after {completed.Count} finished epoch{(completed.Count == 1 ? "" : "s")} of this Fit; " +
               "the model is at the end of the last finished epoch (the cancelled epoch's batches were undone).", token)
    {
        CompletedEpochs = completed;
    }

    /// <summary>The epochs finished before the cancellation (their results as <see cref="Model.Fit"/> would have returned them).</summary>
    public IReadOnlyList<EpochResult> CompletedEpochs { get; }

    /// <summary>The finished epochs as a <see cref="Training.History"/> (not stopped early).</summary>
    public History History => new(CompletedEpochs, false);
}
