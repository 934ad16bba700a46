using Hybrid.Core;

namespace Hybrid;

/// <summary>How the learning rate changes from epoch to epoch (PyTorch's <c>lr_scheduler</c> classes, stepped once per epoch).</summary>
public sealed class Schedule
{
    Schedule(ScheduleSpec value, string description)
    {
        Value = value;
        Description = description;
    }

    internal ScheduleSpec Value { get; }

    /// <summary>A readable description.</summary>
    public string Description { get; }

    /// <summary>The optimizer's rate throughout.</summary>
    public static Schedule Constant { get; } = new(ScheduleSpec.Constant, "constant");

    /// <summary>Multiplies the rate by <paramref name="gamma"/> every <paramref name="stepSize"/> epochs (StepLR).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="stepSize"/> is below 1, or <paramref name="gamma"/> is not positive and finite.</exception>
    public static Schedule Step(int stepSize, double gamma = 0.1) =>
        new(ScheduleSpec.NewStepDecay(Guard.AtLeast(stepSize, 1, nameof(stepSize), "Schedule.Step"), Guard.Positive(gamma, nameof(gamma), "Schedule.Step")), $"step(size={stepSize}, gamma={gamma})");

    /// <summary>Multiplies the rate by <paramref name="gamma"/> every epoch (ExponentialLR).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="gamma"/> is not positive and finite.</exception>
    public static Schedule Exponential(double gamma) => new(ScheduleSpec.NewExponential(Guard.Positive(gamma, nameof(gamma), "Schedule.Exponential")), $"exponential(gamma={gamma})");

    /// <summary>Cosine annealing from the base rate to <paramref name="minimum"/> over <paramref name="epochs"/> epochs (CosineAnnealingLR).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="epochs"/> is below 1, or <paramref name="minimum"/> is negative or not finite.</exception>
    public static Schedule Cosine(int epochs, double minimum = 0) =>
        new(ScheduleSpec.NewCosine(Guard.AtLeast(epochs, 1, nameof(epochs), "Schedule.Cosine"), Guard.NonNegative(minimum, nameof(minimum), "Schedule.Cosine")), $"cosine(epochs={epochs}, min={minimum})");

    /// <summary>Linear warm-up from <paramref name="startFactor"/>× the rate over <paramref name="epochs"/> epochs (LinearLR), then <paramref name="then"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="epochs"/> is below 1, or <paramref name="startFactor"/> is not in (0, 1].</exception>
    public static Schedule Warmup(int epochs, double startFactor = 0.1, Schedule? then = null) =>
        new(ScheduleSpec.NewWarmup(Guard.AtLeast(epochs, 1, nameof(epochs), "Schedule.Warmup"), Guard.Factor(startFactor, nameof(startFactor), "Schedule.Warmup"), (then ?? Constant).Value),
            $"warmup(epochs={epochs}, start={startFactor}) then {(then ?? Constant).Description}");

    /// <summary>Multiplies the rate by <paramref name="factor"/> when the validation loss (else the training loss) has not improved for more than <paramref name="patience"/> epochs (ReduceLROnPlateau).</summary>
    /// <exception cref="ArgumentOutOfRangeException">
    /// <paramref name="factor"/> is not in (0, 1), <paramref name="patience"/> is negative, or <paramref name="threshold"/>
    /// or <paramref name="minimum"/> is negative or not finite.
    /// </exception>
    public static Schedule ReduceOnPlateau(double factor = 0.1, int patience = 10, double threshold = 1e-4, double minimum = 0) =>
        new(ScheduleSpec.NewReduceOnPlateau(Guard.OpenFraction(factor, nameof(factor), "Schedule.ReduceOnPlateau"),
                Guard.AtLeast(patience, 0, nameof(patience), "Schedule.ReduceOnPlateau"),
                Guard.NonNegative(threshold, nameof(threshold), "Schedule.ReduceOnPlateau"), Guard.NonNegative(minimum, nameof(minimum), "Schedule.ReduceOnPlateau")),
            $"plateau(factor={factor}, patience={patience})");

    /// <inheritdoc/>
    public override string ToString() => Description;
}
