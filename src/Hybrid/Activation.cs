using Hybrid.Core;

namespace Hybrid;

/// <summary>A layer's nonlinearity, for <see cref="SequentialBuilder.Dense"/> and <see cref="SequentialBuilder.Activation"/>.</summary>
public sealed class Activation
{
    Activation(ActivationFunction kind, string name)
    {
        Kind = kind;
        Name = name;
    }

    internal ActivationFunction Kind { get; }

    /// <summary>The PyTorch module name: ReLU, Sigmoid, Tanh, LeakyReLU, Softplus, Softmax.</summary>
    public string Name { get; }

    /// <summary>max(0, x).</summary>
    public static Activation ReLU { get; } = new(ActivationFunction.ReLU, "ReLU");

    /// <summary>1 / (1 + e⁻ˣ).</summary>
    public static Activation Sigmoid { get; } = new(ActivationFunction.Sigmoid, "Sigmoid");

    /// <summary>tanh x.</summary>
    public static Activation Tanh { get; } = new(ActivationFunction.Tanh, "Tanh");

    /// <summary>ln(1 + eˣ).</summary>
    public static Activation Softplus { get; } = new(ActivationFunction.Softplus, "Softplus");

    /// <summary>Softmax over each sample's outputs (do not add it before <see cref="Loss.SoftmaxCrossEntropy"/>, which applies it itself).</summary>
    public static Activation Softmax { get; } = new(ActivationFunction.Softmax, "Softmax");

    /// <summary>x for x &gt; 0, αx otherwise.</summary>
    /// <param name="alpha">The slope for negative inputs (PyTorch's negative_slope, default 0.01).</param>
    public static Activation LeakyReLU(double alpha = 0.01) => new(ActivationFunction.NewLeakyReLU(alpha), "LeakyReLU");

    internal static Activation Of(ActivationFunction kind) => kind switch
    {
        { IsReLU: true } => ReLU,
        { IsSigmoid: true } => Sigmoid,
        { IsTanh: true } => Tanh,
        { IsSoftplus: true } => Softplus,
        { IsSoftmax: true } => Softmax,
        ActivationFunction.LeakyReLU leaky => LeakyReLU(leaky.alpha),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown activation"),
    };

    /// <inheritdoc/>
    public override string ToString() => Kind is ActivationFunction.LeakyReLU l ? $"LeakyReLU({l.alpha})" : Name;
}

/// <summary>How a dense layer's weights are initialised (biases start at zero).</summary>
public enum WeightInit
{
    /// <summary>U(−a, a), a = √(6 / (fanIn + fanOut)) — Glorot &amp; Bengio 2010; the default.</summary>
    GlorotUniform,

    /// <summary>N(0, 2 / (fanIn + fanOut)).</summary>
    GlorotNormal,

    /// <summary>U(−a, a), a = √(6 / fanIn) — He et al. 2015, for ReLU networks.</summary>
    HeUniform,

    /// <summary>N(0, 2 / fanIn).</summary>
    HeNormal,

    /// <summary>N(0, 1 / fanIn) — LeCun 1998.</summary>
    LeCunNormal,

    /// <summary>All zeros (a network of zeros cannot break symmetry: for tests and demonstrations).</summary>
    Zeros,
}
