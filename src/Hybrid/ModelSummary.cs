using System.Globalization;
using System.Text;

namespace Hybrid;

/// <summary>One row of <see cref="ModelSummary"/>: a layer, the width of what it hands on, its parameters and its training path.</summary>
/// <param name="Index">The layer's position (its parameters are named "<c>Index</c>.weight", …).</param>
/// <param name="Layer">The layer as a PyTorch module, e.g. "Linear(784 → 128)".</param>
/// <param name="OutputWidth">Values per sample after the layer.</param>
/// <param name="Parameters">Trainable scalars the layer owns.</param>
/// <param name="Path">"fused" when a training step runs the layer on the provider's fused kernels, "graph" when it runs through the computational graph.</param>
public sealed record LayerSummary(int Index, string Layer, int OutputWidth, long Parameters, string Path);

/// <summary>
/// A per-layer table of a model, as Keras' <c>model.summary()</c>: each layer with its output width, parameter count and
/// the path a training step takes through it, then the totals. <see cref="ToString"/> is the table as text.
/// </summary>
public sealed class ModelSummary
{
    internal ModelSummary(int inputs, IReadOnlyList<LayerSummary> layers, string loss, string optimizer, string schedule)
    {
        Inputs = inputs;
        Layers = layers;
        Loss = loss;
        Optimizer = optimizer;
        Schedule = schedule;
    }

    /// <summary>Features per sample.</summary>
    public int Inputs { get; }

    /// <summary>The layers in order.</summary>
    public IReadOnlyList<LayerSummary> Layers { get; }

    /// <summary>The loss's saved name.</summary>
    public string Loss { get; }

    /// <summary>The optimizer's description.</summary>
    public string Optimizer { get; }

    /// <summary>The schedule's description.</summary>
    public string Schedule { get; }

    /// <summary>Trainable scalars in all layers.</summary>
    public long TotalParameters => Layers.Sum(l => l.Parameters);

    /// <summary>True when every layer trains on the fused kernels.</summary>
    public bool AllFused => Layers.All(l => l.Path == "fused");

    /// <summary>The table: a header, one line per layer, a rule, the totals and the training set-up.</summary>
    public override string ToString()
    {
        var c = CultureInfo.InvariantCulture;
        var names = Layers.Select(l => $"{l.Index} {l.Layer}").ToArray();
        var width = Math.Max("Layer".Length, names.Length == 0 ? 0 : names.Max(n => n.Length));
        var paramsWidth = Math.Max("Params".Length, TotalParameters.ToString("N0", c).Length);
        var header = $"{"Layer".PadRight(width)}  {"Output",6}  {"Params".PadLeft(paramsWidth)}  Path";
        var rule = new string('─', header.Length + 2);
        var text = new StringBuilder();
        text.AppendLine(header).AppendLine(rule);
        for (var i = 0; i < Layers.Count; i++)
        {
            var l = Layers[i];
            text.AppendLine($"{names[i].PadRight(width)}  {l.OutputWidth.ToString(c),6}  {l.Parameters.ToString("N0", c).PadLeft(paramsWidth)}  {l.Path}");
        }

        text.AppendLine(rule);
        var path = AllFused ? "every layer on the fused step" : "layers marked graph run through the graph";
        text.AppendLine($"Total params: {TotalParameters.ToString("N0", c)} (all trainable); input {Inputs.ToString(c)} features; {path}");
        text.Append($"Loss {Loss}; {Optimizer}; schedule {Schedule}");
        return text.ToString();
    }
}
