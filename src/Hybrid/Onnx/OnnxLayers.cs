using System.Globalization;
using Hybrid.Core;
using Hybrid.Onnx.Proto;

namespace Hybrid.Onnx;

/// <summary>
/// Each kind of Hybrid layer and the ONNX nodes it becomes, in one place: a new layer kind gets its ONNX form here,
/// and a layer without one is refused here, by name, before anything is written.
/// </summary>
static class OnnxLayers
{
    /// <summary>
    /// Appends layer <paramref name="index"/> to the graph: reads <see cref="GraphWriter.Current"/>, leaves its own
    /// output there. <paramref name="description"/> is the layer as <see cref="Model.Layers"/> names it.
    /// </summary>
    /// <exception cref="NotSupportedException">The layer has no ONNX form; the message names it.</exception>
    public static void Emit(GraphWriter graph, int index, LayerSpec spec, Layer<float> layer, string description)
    {
        switch (spec, layer)
        {
            case (LayerSpec.Dense, Layer<float>.DenseLayer dense):
                // y = x·Wᵀ + b: Gemm with transB = 1 takes W in Hybrid's (and PyTorch's) [out, in] layout as it is.
                var w = dense.weight.Value;
                var weight = graph.Initializer($"{index}.weight", [w.RowCount, w.ColumnCount], w.ToRowMajorArray());
                var bias = graph.Initializer($"{index}.bias", [dense.bias.Value.ColumnCount], dense.bias.Value.Row(0).ToArray());
                graph.Node("Gemm", index, [graph.Current, weight, bias], GraphWriter.Int("transB", 1));
                break;
            case (LayerSpec.Dropout, _):
                // Inference graphs leave dropout out (evaluation mode is the identity); its rate stays in the metadata.
                break;
            case (LayerSpec.Activation { Item: var kind }, _):
                Activation(graph, index, kind, description);
                break;
            default:
                throw Unmapped(index, description);
        }
    }

    /// <summary>An activation as its ONNX op; also used for the probabilities output.</summary>
    public static void Activation(GraphWriter graph, int index, ActivationFunction kind, string description, string? output = null)
    {
        switch (kind)
        {
            case { IsReLU: true }: graph.Node("Relu", index, [graph.Current], output: output); break;
            case { IsSigmoid: true }: graph.Node("Sigmoid", index, [graph.Current], output: output); break;
            case { IsTanh: true }: graph.Node("Tanh", index, [graph.Current], output: output); break;
            case { IsSoftplus: true }: graph.Node("Softplus", index, [graph.Current], output: output); break;
            // Hybrid's softmax normalises each row of [N, C]. Axis 1 says so under both the opset-13 meaning (one axis)
            // and the older one (the input coerced to 2-D at the axis), and is what torch.nn.Softmax(dim=1) exports.
            case { IsSoftmax: true }: graph.Node("Softmax", index, [graph.Current], GraphWriter.Int("axis", 1), output); break;
            case { IsSiLU: true }:
                // x·σ(x): ONNX 17 has no SiLU op; torch.onnx.export writes nn.SiLU the same way.
                var x = graph.Current;
                graph.Node("Sigmoid", index, [x]);
                graph.Node("Mul", index, [x, graph.Current], output: output);
                break;
            case ActivationFunction.LeakyReLU leaky:
                graph.Node("LeakyRelu", index, [graph.Current], GraphWriter.Float("alpha", (float)leaky.alpha), output);
                break;
            default:
                throw Unmapped(index, description);
        }
    }

    static NotSupportedException Unmapped(int index, string description) =>
        new(string.Create(CultureInfo.InvariantCulture,
            $"ExportOnnx: layer {index} ({description}) has no ONNX form; ONNX export covers Linear (Gemm), ReLU, Sigmoid, Tanh, LeakyReLU, Softplus, SiLU (Sigmoid and Mul), Softmax and Dropout (left out at inference); a user-defined activation or layer has no ONNX form."));
}

/// <summary>Builds a straight-line ONNX graph: nodes appended in order, each reading the previous one's output.</summary>
sealed class GraphWriter
{
    public GraphWriter(string input) => Current = input;

    public GraphProto Graph { get; } = new();

    /// <summary>The name of the value the next layer reads.</summary>
    public string Current { get; private set; }

    /// <summary>A float32 initializer, stored as little-endian raw data (the layout ONNX Runtime maps without copying).</summary>
    public string Initializer(string name, long[] dims, float[] values)
    {
        var bytes = new byte[checked(values.Length * sizeof(float))];
        for (var i = 0; i < values.Length; i++)
            System.Buffers.Binary.BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * sizeof(float)), values[i]);
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float, RawData = Google.Protobuf.ByteString.CopyFrom(bytes) };
        tensor.Dims.AddRange(dims);
        Graph.Initializer.Add(tensor);
        return name;
    }

    /// <summary>Appends a node named "{op}_{index}" whose output becomes <see cref="Current"/>.</summary>
    public void Node(string op, int index, string[] inputs, AttributeProto? attribute = null, string? output = null)
    {
        var node = new NodeProto { OpType = op, Name = $"{op}_{index}" };
        node.Input.AddRange(inputs);
        node.Output.Add(output ?? $"{index}.{op}");
        if (attribute is not null) node.Attribute.Add(attribute);
        Graph.Node.Add(node);
        Current = node.Output[0];
    }

    /// <summary>Renames the last node's output to <paramref name="name"/>, or adds an Identity when no node wrote the current value.</summary>
    public void NameCurrent(string name)
    {
        var last = Graph.Node.Count > 0 ? Graph.Node[^1] : null;
        if (last is not null && last.Output[0] == Current) last.Output[0] = name;
        else Node("Identity", Graph.Node.Count, [Current], output: name);
        Current = name;
    }

    public static AttributeProto Int(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto Float(string name, float value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };
}
