using MathNet.Numerics.LinearAlgebra;

namespace Hybrid.Training;

/// <summary>Why <see cref="Model.Fit"/> stopped a run as diverged.</summary>
public enum DivergenceReason
{
    /// <summary>A batch's loss was NaN or infinite.</summary>
    NonFiniteLoss,

    /// <summary>A batch's loss grew past the allowed multiple of the run's first batch loss.</summary>
    ExplodingLoss,

    /// <summary>A weight or bias became NaN or infinite (checked after every epoch).</summary>
    NonFiniteWeights,
}

/// <summary>
/// Watches one <see cref="Model.Fit"/> run for divergence: a non-finite batch loss, a batch loss above
/// <c>maxLossGrowth</c> × the run's first batch loss, and (after each epoch) non-finite weights. Each raises a
/// <see cref="TrainingDivergedException"/> naming the epoch, the batch, the reason and the epochs completed.
/// </summary>
sealed class Divergence
{
    readonly double maxLossGrowth;
    double first = double.NaN;

    public Divergence(double maxLossGrowth)
    {
        if (!(maxLossGrowth > 1)) // NaN too
            throw new ArgumentOutOfRangeException(nameof(maxLossGrowth), maxLossGrowth,
                "Fit: maxLossGrowth must be above 1 (double.PositiveInfinity turns the check off)");
        this.maxLossGrowth = maxLossGrowth;
    }

    /// <summary>Checks a batch's loss; the first finite one is the run's reference.</summary>
    public void Loss(int epoch, int batch, double loss, IReadOnlyList<EpochResult> completed)
    {
        if (!double.IsFinite(loss))
            throw new TrainingDivergedException(epoch, batch, loss, DivergenceReason.NonFiniteLoss,
                $"the loss is {loss}", completed);
        if (double.IsNaN(first))
        {
            first = loss;
            return;
        }

        if (first > 0 && loss > maxLossGrowth * first)
            throw new TrainingDivergedException(epoch, batch, loss, DivergenceReason.ExplodingLoss,
                $"the loss is {loss:G4}, more than {maxLossGrowth:#,0.##} × the first batch's {first:G4}", completed);
    }

    /// <summary>Checks that every parameter is finite.</summary>
    public static void Weights(
        IEnumerable<KeyValuePair<string, Matrix<float>>> parameters, int epoch, int batch, double loss, IReadOnlyList<EpochResult> completed)
    {
        foreach (var (name, value) in parameters)
        {
            var data = value.AsColumnMajorArray() ?? value.ToColumnMajorArray();
            var bad = Array.FindIndex(data, x => !float.IsFinite(x));
            if (bad >= 0)
                throw new TrainingDivergedException(epoch, batch, loss, DivergenceReason.NonFiniteWeights,
                    $"the parameter {name} holds {data[bad]} (element {bad})", completed);
        }
    }
}
