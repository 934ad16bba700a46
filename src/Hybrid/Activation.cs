using Hybrid.Core;
using Hybrid.Autograd;

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

    /// <summary>The PyTorch module name: ReLU, Sigmoid, Tanh, LeakyReLU, Softplus, SiLU, Softmax; or a custom activation's name.</summary>
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

    /// <summary>SiLU (Swish), x·σ(x) (PyTorch's nn.SiLU).</summary>
    public static Activation SiLU { get; } = new(ActivationFunction.SiLU, "SiLU");

    /// <summary>x for x &gt; 0, αx otherwise.</summary>
    /// <param name="alpha">The slope for negative inputs (PyTorch's negative_slope, default 0.01).</param>
    public static Activation LeakyReLU(double alpha = 0.01) => new(ActivationFunction.NewLeakyReLU(alpha), "LeakyReLU");

    /// <summary>
    /// An elementwise activation of your own, from its forward f(x) and its derivative f′(x, y) (given x and y = f(x),
    /// whichever is cheaper): the fused step runs both in a tight loop over each layer's buffer, as the graph's op does.
    /// Adding it to a network checks the derivative against finite differences of <paramref name="forward"/>, and
    /// refuses it, naming the layer, where they disagree. Register it (<see cref="LayerRegistry.Register(Activation)"/>)
    /// for a saved model that uses it to load.
    /// </summary>
    /// <param name="name">The name saved in model files, e.g. "Swish".</param>
    /// <param name="forward">f(x), in float64.</param>
    /// <param name="derivative">f′(x) from x and y = f(x), in float64.</param>
    /// <exception cref="ArgumentException">The name is empty or that of a built-in activation.</exception>
    public static Activation Custom(string name, Func<double, double> forward, Func<double, double, double> derivative)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(forward);
        ArgumentNullException.ThrowIfNull(derivative);
        if (BuiltInNames.Contains(name))
            throw new ArgumentException($"Activation.Custom: '{name}' is a built-in activation's name; choose another.", nameof(name));
        return new(ActivationFunction.NewCustom(new ActivationRules.FunctionRule(name, forward, derivative)), name) { forward = forward, derivative = derivative };
    }

    /// <summary>
    /// An elementwise activation of your own built from <see cref="Variable{T}"/> ops, e.g. <c>x * x.Sigmoid()</c>: its
    /// derivative is the graph's, so none is written (and each op's is gradient-checked). Give the same function for
    /// float (training) and double (checks), e.g. a generic method as <c>Swish&lt;float&gt;</c> and
    /// <c>Swish&lt;double&gt;</c>. Both training paths record its graph once per block shape and replay it in place, so a
    /// warmed step allocates nothing; as for torch.jit.trace, it must build the same graph whatever the values, and
    /// compute each output from its own input alone. Register it (<see cref="LayerRegistry.Register(Activation)"/>) for a
    /// saved model that uses it to load.
    /// </summary>
    /// <param name="name">The name saved in model files, e.g. "Swish".</param>
    /// <param name="forward32">f(x) over float variables.</param>
    /// <param name="forward64">The same f over double variables.</param>
    /// <exception cref="ArgumentException">The name is empty or that of a built-in activation.</exception>
    public static Activation Custom(string name, Func<Variable<float>, Variable<float>> forward32, Func<Variable<double>, Variable<double>> forward64)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(forward32);
        ArgumentNullException.ThrowIfNull(forward64);
        if (BuiltInNames.Contains(name))
            throw new ArgumentException($"Activation.Custom: '{name}' is a built-in activation's name; choose another.", nameof(name));
        var rule = new GraphActivationRule(name, x => forward32(new Variable<float>(x)).Node, x => forward64(new Variable<double>(x)).Node);
        return new(ActivationFunction.NewCustom(rule), name);
    }

    static readonly string[] BuiltInNames = ["ReLU", "Sigmoid", "Tanh", "Softplus", "Softmax", "SiLU", "LeakyReLU", "Custom", "CustomLayer", "Linear", "Dropout"];

    Func<double, double>? forward;
    Func<double, double, double>? derivative;

    /// <summary>
    /// Checks a custom activation's derivative against central finite differences of its forward at 64 seeded points
    /// of [−4, 4] (away from 0, where kinks live), as it is added as layer <paramref name="index"/>.
    /// </summary>
    internal void Check(int index)
    {
        if (forward is null || derivative is null) return;
        var rng = new Random(17);
        const double h = 1e-5;
        for (var k = 0; k < 64; k++)
        {
            var x = rng.NextDouble() * 8 - 4;
            if (Math.Abs(x) < 0.05) continue;
            var y = forward(x);
            var numeric = (forward(x + h) - forward(x - h)) / (2 * h);
            var analytic = derivative(x, y);
            if (!double.IsFinite(y) || !(Math.Abs(analytic - numeric) <= 1e-4 * Math.Max(1, Math.Abs(numeric))))
                throw new ArgumentException(
                    $"layer {index} ({Name}): the derivative given for the activation is {analytic:G6} at x = {x:G6}, " +
                    $"but finite differences of its forward give {numeric:G6}; check the derivative (it is called with x and y = f(x)).",
                    "activation");
        }
    }

    internal static Activation Of(ActivationFunction kind) => kind switch
    {
        ActivationFunction.Custom c => LayerRegistry.FindActivation(c.rule.Name) is { Kind: ActivationFunction.Custom known } found && ReferenceEquals(known.rule, c.rule)
            ? found
            : new Activation(kind, c.rule.Name),
        { IsReLU: true } => ReLU,
        { IsSigmoid: true } => Sigmoid,
        { IsTanh: true } => Tanh,
        { IsSoftplus: true } => Softplus,
        { IsSoftmax: true } => Softmax,
        { IsSiLU: true } => SiLU,
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
