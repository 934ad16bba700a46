using Google.Protobuf;
using Hybrid.Onnx.Proto;

namespace Hybrid.Onnx.Tests;

/// <summary>ONNX models written by hand, as other tools write them, to feed the importer and ONNX Runtime alike.</summary>
static class Graphs
{
    public static ModelProto Model(long opset, IEnumerable<ValueInfoProto> inputs, ValueInfoProto output, IEnumerable<TensorProto> initializers,
        params NodeProto[] nodes)
    {
        var graph = new GraphProto { Name = "handwritten" };
        graph.Input.AddRange(inputs);
        graph.Output.Add(output);
        graph.Initializer.AddRange(initializers);
        graph.Node.AddRange(nodes);
        var model = new ModelProto { IrVersion = opset >= 13 ? 7 : 6, ProducerName = "tests", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Version = opset });
        return model;
    }

    public static NodeProto Node(string op, string[] inputs, string output, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = op, Name = $"{op.ToLowerInvariant()}_{output}" };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        node.Attribute.AddRange(attributes);
        return node;
    }

    /// <summary>A float tensor value with dims given as numbers (dim_value) or strings (dim_param).</summary>
    public static ValueInfoProto Value(string name, params object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
            shape.Dim.Add(d is string s ? new TensorShapeProto.Types.Dimension { DimParam = s } : new TensorShapeProto.Types.Dimension { DimValue = Convert.ToInt64(d) });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }

    /// <summary>Seeded float values in [−1, 1], as raw_data (little-endian) or float_data.</summary>
    public static TensorProto Floats(string name, long[] dims, int seed, bool raw = true)
    {
        var rng = new Random(seed);
        var values = new float[dims.Aggregate(1L, (a, d) => a * d)];
        for (var i = 0; i < values.Length; i++) values[i] = (float)(rng.NextDouble() * 2 - 1);
        return Floats(name, dims, values, raw);
    }

    public static TensorProto Floats(string name, long[] dims, float[] values, bool raw = true)
    {
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        t.Dims.AddRange(dims);
        if (raw)
        {
            var bytes = new byte[values.Length * 4];
            Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
            t.RawData = ByteString.CopyFrom(bytes);
        }
        else t.FloatData.AddRange(values);

        return t;
    }

    public static TensorProto Int64s(string name, params long[] values)
    {
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
        t.Dims.Add(values.Length);
        t.Int64Data.AddRange(values);
        return t;
    }

    public static TensorProto Bool(string name, bool value) =>
        new() { Name = name, DataType = (int)TensorProto.Types.DataType.Bool, RawData = ByteString.CopyFrom([(byte)(value ? 1 : 0)]) };

    public static AttributeProto Int(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto Float(string name, float value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    public static AttributeProto Tensor(string name, TensorProto value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Tensor, T = value };

    public static string Save(ModelProto model)
    {
        var path = Fixtures.TempFile(".onnx");
        File.WriteAllBytes(path, model.ToByteArray());
        return path;
    }

    /// <summary>
    /// Graphs in the forms ONNX tools write, each with its input's shape (rank 2 or 4), its features per sample and
    /// the layers Hybrid should read from it.
    /// </summary>
    public static IReadOnlyDictionary<string, (ModelProto Model, int[] InputShape, string[] Layers)> Handwritten { get; } =
        new Dictionary<string, (ModelProto, int[], string[])>
        {
            // Gemm with transB = 0 ([in, out] weights), alpha and beta, a [1, out] bias; a float_data bias; Flatten of N×1×2×3.
            ["gemm-alpha-beta-flatten"] = (Model(13, [Value("x", "batch", 1, 2, 3)], Value("y", "batch", 3),
                    [Floats("w1", [6, 4], 1), Floats("c1", [1, 4], 2), Floats("w2", [3, 4], 3), Floats("c2", [3], 4, raw: false)],
                    Node("Flatten", ["x"], "f"),
                    Node("Gemm", ["f", "w1", "c1"], "g1", Float("alpha", 0.5f), Float("beta", 2f)),
                    Node("Relu", ["g1"], "r"),
                    Node("Gemm", ["r", "w2", "c2"], "y", Int("transB", 1))),
                [1, 2, 3], ["Linear(6 → 4)", "ReLU", "Linear(4 → 3)"]),
            // MatMul + Add (the constant first), MatMul without bias, LeakyRelu, Softmax with opset 13's default axis.
            ["matmul-add"] = (Model(13, [Value("x", "N", 6)], Value("y", "N", 4),
                    [Floats("w1", [6, 5], 5), Floats("b1", [5], 6), Floats("w2", [5, 4], 7)],
                    Node("MatMul", ["x", "w1"], "m1"),
                    Node("Add", ["b1", "m1"], "a1"),
                    Node("Tanh", ["a1"], "t"),
                    Node("MatMul", ["t", "w2"], "m2"),
                    Node("LeakyRelu", ["m2"], "l", Float("alpha", 0.3f)),
                    Node("Softmax", ["l"], "y")),
                [6], ["Linear(6 → 5)", "Tanh", "Linear(5 → 4)", "LeakyReLU(0.3)", "Softmax"]),
            // Opset 11: a Constant shape for Reshape [0, -1], Dropout with its ratio as an attribute, Identity, float_data
            // weights, Softmax before opset 13 (axis 1 by default), nodes listed out of topological order.
            ["reshape-dropout-opset11"] = (Model(11, [Value("x", "N", 2, 3)], Value("y", "N", 4),
                    [Floats("w", [4, 6], 8, raw: false), Floats("b", [4], 9, raw: false)],
                    Node("Sigmoid", ["s"], "y"),
                    Node("Constant", [], "shape", Tensor("value", Int64s("", 0, -1))),
                    Node("Reshape", ["x", "shape"], "flat"),
                    Node("Dropout", ["flat"], "d", Float("ratio", 0.25f)),
                    Node("Identity", ["d"], "i"),
                    Node("Gemm", ["i", "w", "b"], "g", Int("transB", 1)),
                    Node("Softplus", ["g"], "sp"),
                    Node("Softmax", ["sp"], "s")),
                [2, 3], ["Dropout(0.25)", "Linear(6 → 4)", "Softplus", "Softmax", "Sigmoid"]),
            // Opset 13 Dropout with ratio and training_mode inputs; initializers also listed as graph inputs (as IR 3
            // exporters did); Reshape to [-1, F] from an initializer.
            ["dropout-inputs-reshape"] = (Model(13, [Value("x", 5, 4), Value("w", 2, 4), Value("b", 2)], Value("y", 5, 2),
                    [Floats("w", [2, 4], 10), Floats("b", [2], 11), Floats("ratio", [], [0.1f]), Bool("training", false), Int64s("shape", -1, 4)],
                    Node("Reshape", ["x", "shape"], "r"),
                    Node("Dropout", ["r", "ratio", "training"], "d"),
                    Node("Gemm", ["d", "w", "b"], "y", Int("transB", 1))),
                [4], ["Dropout(0.1)", "Linear(4 → 2)"]),
        };
}
