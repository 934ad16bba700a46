namespace Hybrid.Training;

/// <summary>Which figure a callback watches.</summary>
public enum Monitor
{
    /// <summary>Validation loss (lower is better); the training loss when there is no validation data.</summary>
    ValidationLoss,

    /// <summary>Validation accuracy (higher is better); the training accuracy when there is no validation data.</summary>
    ValidationAccuracy,

    /// <summary>Training loss (lower is better).</summary>
    Loss,
}

/// <summary>Hooks into <see cref="Model.Fit"/>: called at the start, after every epoch, and at the end.</summary>
public abstract class Callback
{
    /// <summary>Called before the first epoch.</summary>
    public virtual void OnTrainBegin(Model model) { }

    /// <summary>Called after every epoch; return false to stop training.</summary>
    public virtual bool OnEpochEnd(Model model, EpochResult result) => true;

    /// <summary>Called after the last epoch, also when training stopped early.</summary>
    public virtual void OnTrainEnd(Model model) { }

    /// <summary>The monitored figure, as a value where lower is better.</summary>
    internal static double Score(Monitor monitor, EpochResult r) => monitor switch
    {
        Monitor.ValidationLoss => r.ValidationLoss ?? r.Loss,
        Monitor.ValidationAccuracy => -(r.ValidationAccuracy ?? r.Accuracy),
        _ => r.Loss,
    };
}

/// <summary>Stops training when the monitored figure has not improved by <c>minDelta</c> for <c>patience</c> epochs (Keras' EarlyStopping).</summary>
/// <param name="patience">Epochs without improvement before stopping.</param>
/// <param name="minDelta">The smallest change that counts as an improvement.</param>
/// <param name="restoreBestWeights">Put back the weights of the best epoch when stopping.</param>
/// <param name="monitor">The figure to watch.</param>
public sealed class EarlyStopping(int patience = 3, double minDelta = 0, bool restoreBestWeights = true, Monitor monitor = Monitor.ValidationLoss)
    : Callback
{
    double best;
    int wait;
    IReadOnlyDictionary<string, float[]>? bestWeights;

    /// <summary>The epoch (from 1) with the best figure so far.</summary>
    public int BestEpoch { get; private set; }

    /// <inheritdoc/>
    public override void OnTrainBegin(Model model)
    {
        best = double.PositiveInfinity;
        wait = 0;
        bestWeights = null;
    }

    /// <inheritdoc/>
    public override bool OnEpochEnd(Model model, EpochResult result)
    {
        var score = Score(monitor, result);
        if (score < best - minDelta)
        {
            best = score;
            wait = 0;
            BestEpoch = result.Epoch;
            if (restoreBestWeights) bestWeights = model.CopyWeights();
            return true;
        }

        wait++;
        if (wait < patience) return true;
        if (bestWeights is not null) model.RestoreWeights(bestWeights);
        return false;
    }
}

/// <summary>
/// Saves the model (atomically) after epochs: every epoch, or only when the monitored figure improves. By default
/// it writes a checkpoint (<see cref="Model.SaveCheckpoint"/>), from which <see cref="Network.Load"/> and
/// <see cref="Model.Fit"/> resume training exactly at the end of the epoch saved.
/// </summary>
/// <param name="path">The safetensors file to write.</param>
/// <param name="saveBestOnly">Save only when the figure improves on the best so far.</param>
/// <param name="monitor">The figure to watch.</param>
/// <param name="trainingState">Write the training state with the weights (<see cref="Model.SaveCheckpoint"/>); false writes the weights alone (<see cref="Model.Save"/>).</param>
public sealed class ModelCheckpoint(string path, bool saveBestOnly = true, Monitor monitor = Monitor.ValidationLoss, bool trainingState = true) : Callback
{
    double best = double.PositiveInfinity;

    /// <summary>How many times the model was saved.</summary>
    public int Saves { get; private set; }

    /// <summary>Checks the destination before the first epoch (not a directory, writable, room for the model), so a bad path costs no training.</summary>
    public override void OnTrainBegin(Model model) =>
        Hybrid.IO.Files.CheckDestination(path, (trainingState ? 12L : 4L) * model.ParameterCount + 64 * 1024, $"ModelCheckpoint({path})");

    /// <inheritdoc/>
    public override bool OnEpochEnd(Model model, EpochResult result)
    {
        var score = Score(monitor, result);
        if (!saveBestOnly || score < best)
        {
            best = Math.Min(best, score);
            if (trainingState) model.SaveCheckpoint(path);
            else model.Save(path);
            Saves++;
        }

        return true;
    }
}
