using System.Numerics;
using Hybrid.Autograd;
using Hybrid.Core;

namespace Hybrid;

/// <summary>
/// An optimizer bound to a set of parameters of any graph, as <c>torch.optim</c> takes <c>model.parameters()</c>: call
/// <see cref="ZeroGrad"/>, build the loss and call <see cref="Variable{T}.Backward(bool)"/>, then <see cref="Step"/>.
/// It keeps the state per parameter (momentum buffers, moment estimates, step counts) and applies PyTorch's update
/// rules exactly (the ones <see cref="Model.Fit"/> uses); <see cref="NextEpoch"/> steps the learning-rate schedule.
/// Made by <see cref="Optimizer.For{T}(IEnumerable{Variable{T}}, Schedule?)"/>.
/// </summary>
/// <typeparam name="T">The element type of the parameters.</typeparam>
public sealed class ParameterOptimizer<T> where T : struct, IFloatingPointIeee754<T>
{
    readonly OptimizerState<T> state;
    readonly Scheduler scheduler;

    internal ParameterOptimizer(Optimizer optimizer, IReadOnlyList<Variable<T>> parameters, Schedule schedule)
    {
        Optimizer = optimizer;
        Schedule = schedule;
        Parameters = parameters;
        state = new OptimizerState<T>(optimizer.Settings, parameters.Select(p => p.Node).ToArray());
        scheduler = new Scheduler(schedule.Value, optimizer.LearningRate);
    }

    /// <summary>The optimizer and its hyper-parameters.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>The learning-rate schedule (stepped by <see cref="NextEpoch"/>).</summary>
    public Schedule Schedule { get; }

    /// <summary>The parameters it updates, in the order given.</summary>
    public IReadOnlyList<Variable<T>> Parameters { get; }

    /// <summary>Epochs completed, that is calls of <see cref="NextEpoch"/>.</summary>
    public int Epoch { get; private set; }

    /// <summary>Steps taken.</summary>
    public int Steps => state.Steps;

    /// <summary>The learning rate the next <see cref="Step"/> uses (the schedule's rate for <see cref="Epoch"/>).</summary>
    public double LearningRate => scheduler.Rate(Epoch);

    /// <summary>Clears every parameter's gradient (gradients accumulate over backward passes until then).</summary>
    public void ZeroGrad() => state.ZeroGrad();

    /// <summary>Updates every parameter that has a gradient from it, at <see cref="LearningRate"/>; a parameter without one (not reached by the loss) is left as it is, as PyTorch does.</summary>
    public void Step() => state.Step(LearningRate);

    /// <summary>Ends an epoch: the schedule moves on (PyTorch's <c>scheduler.step()</c>). <paramref name="monitoredLoss"/> feeds <see cref="Schedule.ReduceOnPlateau"/>.</summary>
    public void NextEpoch(double? monitoredLoss = null)
    {
        if (monitoredLoss is { } loss) scheduler.Observe(loss);
        Epoch++;
    }
}
