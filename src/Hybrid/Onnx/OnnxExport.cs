using Google.Protobuf;
using Hybrid.Core;
using Hybrid.IO;
using Hybrid.Onnx.Proto;

namespace Hybrid.Onnx;

/// <summary>A model as an ONNX ModelProto: one node (or none) per layer, the weights as initializers, the architecture in the metadata.</summary>
static class OnnxExport
{
    /// <summary>The ONNX model of a network, ready to serialise. Throws NotSupportedException, naming the layer, for a layer with no ONNX form.</summary>
    public static ModelProto Build(Sequential<float> core, Loss loss, IReadOnlyList<string> descriptions, string summary)
    {
        var graph = new GraphWriter(OnnxFormat.InputName);
        for (var i = 0; i < core.Layers.Length; i++)
            OnnxLayers.Emit(graph, i, core.Specs[i], core.Layers[i], descriptions[i]);
        graph.NameCurrent(OnnxFormat.OutputName);

        var outputs = Core.Sequential.outputs(core);
        var g = graph.Graph;
        g.Name = "hybrid";
        g.DocString = summary;
        g.Input.Add(Value(OnnxFormat.InputName, core.Inputs));
        g.Output.Add(Value(OnnxFormat.OutputName, outputs));
        // The probabilities Predict returns, so that a consumer need not know the loss: a branch off the output.
        var probabilities = loss.Function switch
        {
            { IsSoftmaxCrossEntropy: true } => ActivationFunction.Softmax,
            { IsBinaryCrossEntropyWithLogits: true } => ActivationFunction.Sigmoid,
            _ => null,
        };
        if (probabilities is not null)
        {
            OnnxLayers.Activation(graph, core.Layers.Length, probabilities, "probabilities", OnnxFormat.ProbabilitiesName);
            g.Output.Add(Value(OnnxFormat.ProbabilitiesName, outputs));
        }

        var model = new ModelProto
        {
            IrVersion = OnnxFormat.IrVersion,
            ProducerName = "Hybrid",
            ProducerVersion = typeof(OnnxExport).Assembly.GetName().Version?.ToString(3) ?? "0.0.0",
            DocString = summary,
            Graph = g,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = OnnxFormat.Opset });
        model.MetadataProps.Add(new StringStringEntryProto { Key = OnnxFormat.ArchitectureKey, Value = ModelFile.Architecture(core.Inputs, core.Specs) });
        model.MetadataProps.Add(new StringStringEntryProto { Key = OnnxFormat.LossKey, Value = loss.Name });
        return model;
    }

    /// <summary>Writes the model atomically (a temporary file renamed into place); the same weights give the same bytes.</summary>
    public static void Write(string path, ModelProto model) => Files.WriteAtomic(path, stream => model.WriteTo(stream));

    /// <summary>A float32 tensor [N, width] with a symbolic batch dimension.</summary>
    static ValueInfoProto Value(string name, int width)
    {
        var shape = new TensorShapeProto();
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = OnnxFormat.BatchDimension });
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = width });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }
}
