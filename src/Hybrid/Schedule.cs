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
    public static Schedule Step(int stepSize, double gamma = 0.1) =>
        new(ScheduleSpec.NewStepDecay(stepSize, gamma), $"step(size={stepSize}, gamma={gamma})");

    /// <summary>Multiplies the rate by <paramref name="gamma"/> every epoch (ExponentialLR).</summary>
    public static Schedule Exponential(double gamma) => new(ScheduleSpec.NewExponential(gamma), $"exponential(gamma={gamma})");

    /// <summary>Cosine annealing from the base rate to <paramref name="minimum"/> over <paramref name="epochs"/> epochs (CosineAnnealingLR).</summary>
    public static Schedule Cosine(int epochs, double minimum = 0) =>
        new(ScheduleSpec.NewCosine(epochs, minimum), $"cosine(epochs={epochs}, min={minimum})");

    /// <summary>Linear warm-up from <paramref name="startFactor"/>× the rate over <paramref name="epochs"/> epochs (LinearLR), then <paramref name="then"/>.</summary>
    public static Schedule Warmup(int epochs, double startFactor = 0.1, Schedule? then = null) =>
        new(ScheduleSpec.NewWarmup(epochs, startFactor, (then ?? Constant).Value),
            $"warmup(epochs={epochs}, start={startFactor}) then {(then ?? Constant).Description}");

    /// <summary>Multiplies the rate by <paramref name="factor"/> when the validation loss (else the training loss) has not improved for more than <paramref name="patience"/> epochs (ReduceLROnPlateau).</summary>
    public static Schedule ReduceOnPlateau(double factor = 0.1, int patience = 10, double threshold = 1e-4, double minimum = 0) =>
        new(ScheduleSpec.NewReduceOnPlateau(factor, patience, threshold, minimum),
            $"plateau(factor={factor}, patience={patience})");

    /// <inheritdoc/>
    public override string ToString() => Description;
}
