using System.Numerics;
using Hybrid.Autograd;
using Hybrid.Core;
using MathNet.Numerics.LinearAlgebra;

namespace Hybrid;

/// <summary>A parameter of a <see cref="CustomLayer"/>: its name (saved as "<c>layer</c>.<c>Name</c>"), shape and initializer.</summary>
/// <param name="Name">The parameter's name within its layer, e.g. "weight".</param>
/// <param name="Rows">Rows of the matrix.</param>
/// <param name="Columns">Columns of the matrix.</param>
/// <param name="Init">How it is initialised (fan-in: the layer's input width; fan-out: its output width).</param>
public sealed record LayerParameter(string Name, int Rows, int Columns, WeightInit Init = WeightInit.GlorotUniform);

/// <summary>
/// A layer of your own, written as a graph function of its input and its named parameters: subclass it, list the
/// parameters, and build the output from <see cref="Variable{T}"/> ops. Add it with <see cref="SequentialBuilder.Layer"/>,
/// which gradient-checks it first; register it with <see cref="LayerRegistry.Register(CustomLayer)"/> so that a saved model
/// that uses it loads. It trains, predicts, evaluates and appears in <see cref="Model.Summary"/> like a built-in layer
/// (on the graph path, between the fused layers: recorded on its first step at each batch size and replayed in place after,
/// so a warmed step allocates nothing; as with torch.jit.trace, <see cref="Forward{T}"/> must build the same graph whatever
/// the values, or it is detected on the first replay and rebuilt every step).
/// </summary>
public abstract class CustomLayer
{
    /// <summary>The layer's name, as saved in a model file and looked up in <see cref="LayerRegistry"/>.</summary>
    public abstract string Name { get; }

    /// <summary>The width of the layer's output for an input of <paramref name="inputs"/> features.</summary>
    public abstract int Outputs(int inputs);

    /// <summary>The layer's parameters for an input of <paramref name="inputs"/> features.</summary>
    public abstract IReadOnlyList<LayerParameter> Parameters(int inputs);

    /// <summary>The layer's output for a batch <paramref name="x"/> (one sample per row), from its parameters by name.</summary>
    /// <typeparam name="T">float for training, double for the gradient check.</typeparam>
    public abstract Variable<T> Forward<T>(Variable<T> x, IReadOnlyDictionary<string, Variable<T>> parameters) where T : struct, IFloatingPointIeee754<T>;

    /// <inheritdoc/>
    public override string ToString() => Name;

    internal GraphLayerRule Rule => rule ??= new CustomLayerRule(this);

    GraphLayerRule? rule;

    /// <summary>The core's view of a custom layer: its parameters in order, its forward over graph nodes of either precision.</summary>
    sealed class CustomLayerRule(CustomLayer layer) : FunctionGraphLayer(layer.Name, layer.Outputs,
        inputs => layer.Parameters(inputs).Select(p => Tuple.Create(p.Name, p.Rows, p.Columns, ModelFile.ToCore(p.Init))).ToArray(),
        (x, ps) => Apply(layer, x, ps), (x, ps) => Apply(layer, x, ps));

    static Node<T> Apply<T>(CustomLayer layer, Node<T> x, Node<T>[] parameters) where T : struct, IFloatingPointIeee754<T>
    {
        var names = layer.Parameters(x.Shape.Cols);
        var byName = new Dictionary<string, Variable<T>>(StringComparer.Ordinal);
        for (var i = 0; i < names.Count; i++) byName[names[i].Name] = new Variable<T>(parameters[i]);
        return layer.Forward(new Variable<T>(x), byName).Node;
    }

    /// <summary>
    /// Checks the layer as it is added at position <paramref name="index"/> of a network on <paramref name="inputs"/>
    /// features: parameters well formed, the output of the declared width, and its gradient with respect to the input and
    /// every parameter equal to finite differences (float64, seeded random point).
    /// </summary>
    internal static void Check(CustomLayer layer, int index, int inputs)
    {
        string Where() => $"layer {index} ({layer.Name})";
        if (string.IsNullOrWhiteSpace(layer.Name)) throw new ArgumentException($"layer {index}: a custom layer needs a name.", nameof(layer));
        var outputs = layer.Outputs(inputs);
        if (outputs < 1) throw new ArgumentException($"{Where()}: Outputs({inputs}) is {outputs}; a layer needs at least one output.", nameof(layer));
        var ps = layer.Parameters(inputs) ?? throw new ArgumentException($"{Where()}: Parameters returned null.", nameof(layer));
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in ps)
        {
            if (string.IsNullOrWhiteSpace(p.Name) || p.Name.Contains('.') || !seen.Add(p.Name))
                throw new ArgumentException($"{Where()}: the parameter name '{p.Name}' is empty, holds a dot, or is used twice.", nameof(layer));
            if (p.Rows < 1 || p.Columns < 1)
                throw new ArgumentException($"{Where()}: the parameter {p.Name} is {p.Rows}×{p.Columns}; both sides must be at least 1.", nameof(layer));
        }

        var rng = new Random(index + 1);
        Matrix<double> Random(int rows, int cols) => Matrix<double>.Build.Dense(rows, cols, (_, _) => rng.NextDouble() * 2 - 1);
        var point = new List<Matrix<double>> { Random(3, inputs) };
        point.AddRange(ps.Select(p => Random(p.Rows, p.Columns) * 0.5));
        var y = layer.Rule.Forward(Graph.constant(point[0]), point.Skip(1).Select(m => Graph.constant(m)).ToArray());
        if (y.Shape.Rows != 3 || y.Shape.Cols != outputs)
            throw new ArgumentException($"{Where()}: for 3 samples its output is {y.Shape.Rows}×{y.Shape.Cols}, not 3×{outputs} (Outputs says {outputs}).", nameof(layer));
        var check = GradCheck.Check(v => new Variable<double>(layer.Rule.Forward(v[0].Node, v.Skip(1).Select(p => p.Node).ToArray())), point.ToArray());
        if (!check.Passed)
        {
            var what = check.Input == 0 ? "its input" : $"its parameter {ps[check.Input - 1].Name}";
            throw new ArgumentException(
                $"{Where()}: the gradient with respect to {what} disagrees with finite differences ({check}); check the backward rule of any op of your own in Forward.",
                nameof(layer));
        }
    }
}

/// <summary>
/// The custom activations and layers a saved model may name: register yours before <see cref="Network.Load"/> reads a
/// model that uses them (a name not registered is refused, naming it). Names are case-sensitive; one name, one definition.
/// </summary>
public static class LayerRegistry
{
    static readonly Dictionary<string, Activation> activations = new(StringComparer.Ordinal);
    static readonly Dictionary<string, CustomLayer> layers = new(StringComparer.Ordinal);
    static readonly Lock gate = new();

    /// <summary>Registers a custom activation (from <see cref="Activation.Custom(string, Func{double, double}, Func{double, double, double})"/> or its graph-ops overload) under its name.</summary>
    /// <exception cref="ArgumentException">It is a built-in activation, or another activation has that name.</exception>
    public static void Register(Activation activation)
    {
        ArgumentNullException.ThrowIfNull(activation);
        if (!activation.Kind.IsCustom) throw new ArgumentException($"LayerRegistry: {activation} is built in; only custom activations are registered.", nameof(activation));
        lock (gate)
        {
            if (activations.TryGetValue(activation.Name, out var known) && !ReferenceEquals(known, activation))
                throw new ArgumentException($"LayerRegistry: another activation is already registered as '{activation.Name}'.", nameof(activation));
            activations[activation.Name] = activation;
        }
    }

    /// <summary>Registers a custom layer under its name.</summary>
    /// <exception cref="ArgumentException">Another layer has that name.</exception>
    public static void Register(CustomLayer layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        lock (gate)
        {
            if (layers.TryGetValue(layer.Name, out var known) && !ReferenceEquals(known, layer))
                throw new ArgumentException($"LayerRegistry: another layer is already registered as '{layer.Name}'.", nameof(layer));
            layers[layer.Name] = layer;
        }
    }

    internal static Activation? FindActivation(string name)
    {
        lock (gate) return activations.GetValueOrDefault(name);
    }

    internal static CustomLayer? FindLayer(string name)
    {
        lock (gate) return layers.GetValueOrDefault(name);
    }
}
