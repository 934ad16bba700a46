using MathNet.Numerics.LinearAlgebra;

namespace Hybrid.Training;

/// <summary>Progress within an epoch, reported after every batch.</summary>
/// <param name="Epoch">The epoch, from 1.</param>
/// <param name="Epochs">Epochs in this <see cref="Model.Fit"/> call.</param>
/// <param name="Batch">Batches done in this epoch.</param>
/// <param name="Batches">Batches per epoch.</param>
/// <param name="Loss">Mean training loss over the epoch so far.</param>
/// <param name="Accuracy">Training accuracy over the epoch so far (NaN for regression).</param>
/// <param name="SamplesPerSecond">Training throughput so far this epoch.</param>
/// <param name="Elapsed">Time spent in this epoch.</param>
/// <param name="Remaining">Estimated time to the end of the epoch.</param>
public sealed record TrainingProgress(
    int Epoch, int Epochs, int Batch, int Batches, double Loss, double Accuracy, double SamplesPerSecond, TimeSpan Elapsed, TimeSpan Remaining);

/// <summary>The outcome of one epoch.</summary>
/// <param name="Epoch">The epoch, from 1 (counting every epoch the model has trained).</param>
/// <param name="Loss">Mean training loss over the epoch's batches (weighted by batch size).</param>
/// <param name="Accuracy">Training accuracy over the epoch (NaN for regression).</param>
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

/// <summary>A model's loss and accuracy on a data set, with the confusion matrix for classification.</summary>
/// <param name="Loss">Mean loss over the samples.</param>
/// <param name="Accuracy">Fraction of samples classified correctly (NaN for regression).</param>
/// <param name="ConfusionMatrix">Counts [true class, predicted class], or <c>null</c> without class labels.</param>
/// <param name="Count">Number of samples.</param>
public sealed record Evaluation(double Loss, double Accuracy, int[,]? ConfusionMatrix, int Count);

/// <summary>A model's predictions for a batch of samples.</summary>
/// <param name="Probabilities">One row per sample: class probabilities for the cross-entropy losses, raw outputs otherwise.</param>
/// <param name="Classes">The most probable class of each sample (for one output, 1 when it is above 0.5).</param>
public sealed record Prediction(Matrix<float> Probabilities, IReadOnlyList<int> Classes);

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
