using System.Numerics;
using Hybrid.Autograd;
using Hybrid.Core;

namespace Hybrid;

/// <summary>An optimization algorithm with its hyper-parameters; the update rules are PyTorch's <c>torch.optim</c>.</summary>
public sealed class Optimizer
{
    Optimizer(OptimizerSpec settings, string description)
    {
        Settings = settings;
        Description = description;
    }

    internal OptimizerSpec Settings { get; }

    /// <summary>A readable description, e.g. "adam(lr=0.001)".</summary>
    public string Description { get; }

    /// <summary>The base learning rate.</summary>
    public double LearningRate => OptimizerSpecModule.learningRate(Settings);

    static double Positive(double lr) => Guard.Positive(lr, nameof(lr), "Optimizer");

    /// <summary>Stochastic gradient descent (torch.optim.SGD). Full-batch, mini-batch and stochastic descent differ only in the batch size.</summary>
    /// <param name="lr">Learning rate.</param>
    /// <param name="momentum">Momentum factor μ (0 for plain SGD).</param>
    /// <param name="nesterov">Nesterov momentum.</param>
    /// <param name="weightDecay">L2 penalty added to the gradient.</param>
    /// <param name="dampening">Dampening for momentum.</param>
    /// <exception cref="ArgumentOutOfRangeException">
    /// An argument is out of range (lr positive and finite, momentum and dampening in [0, 1], weight decay finite and
    /// at least 0), or Nesterov momentum is asked for without a momentum or with dampening (as torch.optim.SGD refuses).
    /// </exception>
    public static Optimizer Sgd(double lr, double momentum = 0, bool nesterov = false, double weightDecay = 0, double dampening = 0) =>
        OptimizerChecks.Sgd(lr, momentum, nesterov, weightDecay, dampening) ?? new(OptimizerSpec.NewSgd(new SgdSettings(Positive(lr), momentum, dampening, nesterov, weightDecay)),
            $"sgd(lr={lr}, momentum={momentum}, nesterov={nesterov}, weight_decay={weightDecay})");

    /// <summary>SGD with heavy-ball momentum.</summary>
    public static Optimizer Momentum(double lr, double momentum = 0.9, double weightDecay = 0) =>
        Sgd(lr, momentum, weightDecay: weightDecay);

    /// <summary>SGD with Nesterov momentum.</summary>
    public static Optimizer Nesterov(double lr, double momentum = 0.9, double weightDecay = 0) =>
        Sgd(lr, momentum, nesterov: true, weightDecay: weightDecay);

    /// <summary>RMSProp (torch.optim.RMSprop, not centered).</summary>
    /// <exception cref="ArgumentOutOfRangeException">An argument is out of range (lr positive; alpha and momentum in [0, 1]; eps and weight decay finite, at least 0).</exception>
    public static Optimizer RmsProp(double lr = 0.01, double alpha = 0.99, double eps = 1e-8, double momentum = 0, double weightDecay = 0) =>
        OptimizerChecks.RmsProp(lr, alpha, eps, momentum, weightDecay) ?? new(OptimizerSpec.NewRmsProp(new RmsPropSettings(Positive(lr), alpha, eps, momentum, weightDecay)),
            $"rmsprop(lr={lr}, alpha={alpha}, momentum={momentum}, weight_decay={weightDecay})");

    /// <summary>Adam (torch.optim.Adam); <paramref name="weightDecay"/> is an L2 penalty added to the gradient.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An argument is out of range (lr positive; betas in [0, 1); eps and weight decay finite, at least 0).</exception>
    public static Optimizer Adam(double lr = 0.001, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0) =>
        OptimizerChecks.Adam(lr, beta1, beta2, eps, weightDecay) ?? new(OptimizerSpec.NewAdam(new AdamSettings(Positive(lr), beta1, beta2, eps, weightDecay, false)),
            $"adam(lr={lr}, betas=({beta1}, {beta2}), weight_decay={weightDecay})");

    /// <summary>AdamW (torch.optim.AdamW): Adam with decoupled weight decay.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An argument is out of range (lr positive; betas in [0, 1); eps and weight decay finite, at least 0).</exception>
    public static Optimizer AdamW(double lr = 0.001, double weightDecay = 0.01, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8) =>
        OptimizerChecks.Adam(lr, beta1, beta2, eps, weightDecay) ?? new(OptimizerSpec.NewAdam(new AdamSettings(Positive(lr), beta1, beta2, eps, weightDecay, true)),
            $"adamw(lr={lr}, betas=({beta1}, {beta2}), weight_decay={weightDecay})");

    /// <summary>
    /// This optimizer bound to parameters of any graph (PyTorch's <c>torch.optim.Adam(model.parameters())</c>), with fresh
    /// state: <c>ZeroGrad()</c>, backward, <c>Step()</c>.
    /// </summary>
    /// <param name="parameters">The parameters (<see cref="Variable.Parameter{T}(MathNet.Numerics.LinearAlgebra.Matrix{T}, string?)"/>) to update.</param>
    /// <param name="schedule">How the learning rate changes per epoch (<see cref="ParameterOptimizer{T}.NextEpoch"/>); constant by default.</param>
    /// <exception cref="ArgumentException">No parameters were given, one is not a parameter (a constant or an operation's result), or one is given twice.</exception>
    public ParameterOptimizer<T> For<T>(IEnumerable<Variable<T>> parameters, Schedule? schedule = null) where T : struct, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var list = parameters.ToArray();
        if (list.Length == 0) throw new ArgumentException("Optimizer.For: no parameters to optimize.", nameof(parameters));
        for (var i = 0; i < list.Length; i++)
        {
            ArgumentNullException.ThrowIfNull(list[i], nameof(parameters));
            if (list[i].Op != "variable")
                throw new ArgumentException(
                    $"Optimizer.For: parameter {i} is {(list[i].Op == "constant" ? "a constant" : $"the result of '{list[i].Op}'")}, not a parameter; make it with Variable.Parameter.",
                    nameof(parameters));
            for (var j = 0; j < i; j++)
                if (ReferenceEquals(list[j].Node, list[i].Node))
                    throw new ArgumentException($"Optimizer.For: parameters {j} and {i} are the same variable; give each once.", nameof(parameters));
        }

        return new ParameterOptimizer<T>(this, list, schedule ?? Schedule.Constant);
    }

    /// <inheritdoc/>
    public override string ToString() => Description;
}
