using MathNet.Numerics.LinearAlgebra;
using System.Runtime.CompilerServices;

namespace Hybrid.Training;

/// <summary>Why <see cref="Model.Fit"/> stopped a run as diverged.</summary>
public enum DivergenceReason
{
    /// <summary>A batch's loss was NaN or infinite.</summary>
    NonFiniteLoss,

    /// <summary>A batch's loss grew past the allowed multiple of the run's first batches' mean loss.</summary>
    ExplodingLoss,

    /// <summary>A weight or bias became NaN or infinite (checked after every epoch).</summary>
    NonFiniteWeights,
}

/// <summary>
/// Watches one <see cref="Model.Fit"/> run for divergence: a non-finite batch loss, a batch loss above
/// <c>maxLossGrowth</c> × the reference, and (after each epoch) non-finite weights. Each raises a
/// <see cref="TrainingDivergedException"/> naming the epoch, the batch, the reason and the epochs completed.
/// The reference is the mean loss over the run's first <see cref="ReferenceSamples"/> samples (the first batch, for
/// batches of 64 or more): one small batch's loss is a poor scale, since a single well-classified sample's loss can
/// be 10⁻⁶ where the next one's is 1, which is not divergence. Until that many samples are seen the bound is the
/// square of the factor × the mean so far, loose enough for that and still catching a loss that leaps by 10⁸.
/// </summary>
sealed class Divergence
{
    /// <summary>How many first samples the reference loss is the mean of.</summary>
    public const int ReferenceSamples = 64;

    readonly double maxLossGrowth;
    double sum;
    long samples;

    public Divergence(double maxLossGrowth)
    {
        if (!(maxLossGrowth > 1)) // NaN too
            throw new ArgumentOutOfRangeException(nameof(maxLossGrowth), maxLossGrowth,
                "Fit: maxLossGrowth must be above 1 (double.PositiveInfinity turns the check off)");
        this.maxLossGrowth = maxLossGrowth;
    }

    /// <summary>Checks a batch's loss (of <paramref name="size"/> samples) against the reference, then adds it to the reference while that is incomplete.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // runs every batch: optimised from its first call, as the kernels of FastKernels.cs
    public void Loss(int epoch, int batch, double loss, int size, IReadOnlyList<EpochResult> completed)
    {
        if (!double.IsFinite(loss))
            throw new TrainingDivergedException(epoch, batch, loss, DivergenceReason.NonFiniteLoss,
                $"the loss is {loss}", completed);
        var complete = samples >= ReferenceSamples;
        if (samples > 0 && sum > 0)
        {
            var reference = sum / samples;
            var factor = complete ? maxLossGrowth : maxLossGrowth * maxLossGrowth;
            if (loss > factor * reference)
                throw new TrainingDivergedException(epoch, batch, loss, DivergenceReason.ExplodingLoss,
                    $"the loss is {loss:G4}, more than {factor:#,0.##} × the mean loss of the first {samples:N0} samples, {reference:G4},", completed);
        }

        if (!complete)
        {
            sum += loss * size;
            samples += size;
        }
    }

    /// <summary>Checks that every parameter is finite.</summary>
    public static void Weights(
        IEnumerable<KeyValuePair<string, Matrix<float>>> parameters, int epoch, int batch, double loss, IReadOnlyList<EpochResult> completed)
    {
        foreach (var (name, value) in parameters)
        {
            var data = value.AsColumnMajorArray() ?? value.ToColumnMajorArray();
            var bad = FirstNonFinite(data);
            if (bad >= 0)
                throw new TrainingDivergedException(epoch, batch, loss, DivergenceReason.NonFiniteWeights,
                    $"the parameter {name} holds {data[bad]} (element {bad})", completed);
        }
    }

    // A plain loop, optimised from its first call: it runs inside the epoch's time, over every weight.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static int FirstNonFinite(float[] data)
    {
        for (var i = 0; i < data.Length; i++)
            if (!float.IsFinite(data[i])) return i;
        return -1;
    }
}
