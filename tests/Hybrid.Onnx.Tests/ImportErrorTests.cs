using Google.Protobuf;
using Hybrid.Onnx.Proto;
using static Hybrid.Onnx.Tests.Graphs;

namespace Hybrid.Onnx.Tests;

/// <summary>What the importer refuses, and that each refusal names the file, the place and the fault.</summary>
public class ImportErrorTests
{
    /// <summary>x [N, 6] → Gemm (W [4, 6], b [4]) → Relu → y [N, 4].</summary>
    static ModelProto Base() => Model(13, [Value("x", "N", 6)], Value("y", "N", 4),
        [Floats("W", [4, 6], 1), Floats("b", [4], 2)],
        Node("Gemm", ["x", "W", "b"], "h", Int("transB", 1)),
        Node("Relu", ["h"], "y"));

    static TensorProto Weight(ModelProto m) => m.Graph.Initializer.Single(t => t.Name == "W");

    static readonly Dictionary<string, (Action<ModelProto> Edit, string[] Fragments)> Cases = new()
    {
        ["unknown op"] = (m => m.Graph.Node[1].OpType = "Conv", ["graph.node[1] 'relu_y' ('Conv')", "cannot map this op"]),
        ["other domain"] = (m => m.Graph.Node[1].Domain = "com.microsoft", ["graph.node[1]", "domain 'com.microsoft'"]),
        ["transA"] = (m => m.Graph.Node[0].Attribute.Add(Int("transA", 1)), ["graph.node[0] 'gemm_h' ('Gemm')", "transA = 1"]),
        ["unknown attribute"] = (m => m.Graph.Node[1].Attribute.Add(Int("alpha", 1)), ["graph.node[1]", "attribute 'alpha'", "Relu"]),
        ["attribute of the wrong type"] = (m => m.Graph.Node[0].Attribute[0].Type = AttributeProto.Types.AttributeType.Float, ["attribute transB", "Int"]),
        ["cycle"] = (m => m.Graph.Node[0].Input[0] = "y", ["cycle"]),
        ["self loop"] = (m => m.Graph.Node[1].Input[0] = "y", ["graph.node[1]", "cycle"]),
        ["value written twice"] = (m => m.Graph.Node[1].Output[0] = "h", ["graph.node[1]", "writes 'h'"]),
        ["value nobody writes"] = (m => m.Graph.Node[1].Input[0] = "nowhere", ["reads 'nowhere'"]),
        ["raw data shorter than the shape"] = (m => Weight(m).RawData = ByteString.CopyFrom(Weight(m).RawData.Span[..90]), ["input 1 'W'", "raw_data has 90 bytes", "needs 96"]),
        ["huge declared dims"] = (m => { Weight(m).Dims[0] = 1L << 40; Weight(m).Dims[1] = 1L << 20; }, ["'W'", "raw_data has 96 bytes", "[1099511627776, 1048576]"]),
        ["dims that overflow"] = (m => { Weight(m).Dims[0] = 1L << 40; Weight(m).Dims[1] = 1L << 40; }, ["'W'", "overflow 64 bits"]),
        ["empty weight with a huge side"] = (m => { Weight(m).Dims[0] = (1L << 32) + 6; Weight(m).Dims[1] = 0; Weight(m).RawData = ByteString.Empty; }, ["'W'", "from 1 to 2³¹ − 1"]),
        ["negative dim"] = (m => Weight(m).Dims[0] = -4, ["'W'", "negative dimension -4"]),
        ["float_data count wrong"] = (m => { Weight(m).RawData = ByteString.Empty; Weight(m).FloatData.AddRange(new float[23]); }, ["'W'", "holds 23 values", "needs 24"]),
        ["external data"] = (m => Weight(m).DataLocation = TensorProto.Types.DataLocation.External, ["'W'", "external file"]),
        ["weight type"] = (m => Weight(m).DataType = (int)TensorProto.Types.DataType.Int8, ["'W'", "INT8"]),
        ["weight not finite"] = (m => Weight(m).RawData = ByteString.CopyFrom([.. Enumerable.Repeat((byte)0xFF, 96)]), ["'W'", "value 0 is NaN"]),
        ["input wider than the weight"] = (m => m.Graph.Input[0] = Value("x", "N", 7), ["'W'", "6 inputs", "have 7 features"]),
        ["output width declared wrong"] = (m => m.Graph.Output[0] = Value("y", "N", 9), ["graph.output 'y'", "declares 9 outputs", "give 4"]),
        ["input dim unknown"] = (m => m.Graph.Input[0] = Value("x", "N", "F"), ["graph.input 'x' dim 1", "no positive size"]),
        ["input of another type"] = (m => m.Graph.Input[0].Type.TensorType.ElemType = (int)TensorProto.Types.DataType.Double, ["graph.input 'x'", "DOUBLE"]),
        ["two data inputs"] = (m => m.Graph.Input.Add(Value("z", "N", 6)), ["graph.input", "2 inputs"]),
        ["a skip connection"] = (m =>
        {
            m.Graph.Node.Add(Node("Add", ["y", "h"], "s"));
            m.Graph.Output[0] = Value("s", "N", 4);
        }, ["graph.node[2] 'add_s' ('Add')", "skip connection"]),
        ["weight of DOUBLE"] = (m =>
        {
            var w = Weight(m);
            w.DataType = (int)TensorProto.Types.DataType.Double;
            w.RawData = ByteString.CopyFrom(new byte[192]);
        }, ["'W'", "DOUBLE", "must be FLOAT"]),
        ["softmax over the batch"] = (m => m.Graph.Node[1] = Node("Softmax", ["h"], "y", Int("axis", 0)), ["('Softmax')", "axis 0"]),
        ["reshape that splits samples"] = (m =>
        {
            m.Graph.Initializer.Add(Int64s("shape", -1, 3));
            m.Graph.Node.Insert(0, Node("Reshape", ["x", "shape"], "r"));
            m.Graph.Node[1].Input[0] = "r";
        }, ["('Reshape')", "[-1, 3]", "6 features"]),
        ["flatten at axis 2"] = (m =>
        {
            m.Graph.Input[0] = Value("x", "N", 2, 3);
            m.Graph.Node.Insert(0, Node("Flatten", ["x"], "f", Int("axis", 2)));
            m.Graph.Node[1].Input[0] = "f";
        }, ["('Flatten')", "axis 2"]),
        ["rank-3 data into Gemm"] = (m => m.Graph.Input[0] = Value("x", "N", 2, 3), ["('Gemm')", "rank-3"]),
        ["a computed weight"] = (m => m.Graph.Node[0].Input[1] = "x", ["graph.node[0]", "input 1 ('x') is computed"]),
        ["add without a dense layer"] = (m =>
        {
            m.Graph.Node[1].Output[0] = "r";
            m.Graph.Node.Add(Node("Add", ["r", "b"], "y"));
        }, ["('Add')", "bias of a MatMul or Gemm"]),
        ["dropout ratio 1"] = (m =>
        {
            m.Graph.Node[1].Output[0] = "r";
            m.Graph.Node.Add(Node("Dropout", ["r"], "y", Float("ratio", 1f)));
        }, ["('Dropout')", "ratio 1"]),
        ["output is the input"] = (m => m.Graph.Output[0] = Value("x", "N", 6), ["maps to no layer"]),
        ["output is a constant"] = (m => m.Graph.Output[0] = Value("b", 4), ["'b'", "is a constant"]),
        ["old opset"] = (m => m.OpsetImport[0].Version = 6, ["opset_import", "opset 6", "7 to 23"]),
        ["future opset"] = (m => m.OpsetImport[0].Version = 99, ["opset 99"]),
        ["no default opset"] = (m => m.OpsetImport[0].Domain = "ai.onnx.ml", ["opset_import", "names no opset"]),
        ["no graph"] = (m => m.Graph = null, ["graph", "missing"]),
    };

    public static TheoryData<string> Names => [.. Cases.Keys];

    [Theory]
    [MemberData(nameof(Names))]
    public void A_graph_Hybrid_cannot_map_gives_an_error_naming_the_file_the_place_and_the_fault(string name)
    {
        var model = Base();
        var (edit, fragments) = Cases[name];
        edit(model);
        var path = Save(model);
        var e = Assert.Throws<InvalidDataException>(() => Network.LoadOnnx(path));
        File.Delete(path);
        Assert.StartsWith($"{path}: ", e.Message);
        foreach (var f in fragments) Assert.Contains(f, e.Message);
    }

    [Fact]
    public void The_base_graph_of_these_cases_loads()
    {
        var path = Save(Base());
        Assert.Equal(["Linear(6 → 4)", "ReLU"], Network.LoadOnnx(path).Layers);
        File.Delete(path);
    }

    [Fact]
    public async Task Files_that_are_not_ONNX_models_give_named_errors()
    {
        var bytes = Base().ToByteArray();
        var path = Fixtures.TempFile(".onnx");

        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        Assert.Contains(": protobuf: not a valid ONNX ModelProto", Assert.Throws<InvalidDataException>(() => Network.LoadOnnx(path)).Message);
        File.WriteAllBytes(path, []);
        Assert.Contains("is empty", Assert.Throws<InvalidDataException>(() => Network.LoadOnnx(path)).Message);
        File.WriteAllText(path, "{\"not\": \"protobuf\"}");
        Assert.StartsWith($"{path}: ", Assert.Throws<InvalidDataException>(() => Network.LoadOnnx(path)).Message);
        File.Delete(path);

        Assert.Throws<FileNotFoundException>(() => Network.LoadOnnx(path));
        var folder = Fixtures.TempFolder();
        Assert.Contains("is a directory", Assert.Throws<InvalidDataException>(() => Network.LoadOnnx(folder)).Message);
        Directory.Delete(folder);
        // A file past the limit is refused before it is read (a sparse file: no disk is used).
        using (var big = File.Create(path)) big.SetLength(OnnxFormat.MaxFileBytes + 1);
        Assert.Contains("more than the 1,073,741,824 Hybrid reads", Assert.Throws<InvalidDataException>(() => Network.LoadOnnx(path)).Message);
        File.Delete(path);

        if (!OperatingSystem.IsLinux()) return;
        Assert.Contains("not a regular file", Assert.Throws<InvalidDataException>(() => Network.LoadOnnx("/dev/zero")).Message);
        // Opening a FIFO for reading would block until a writer comes: it must be refused before it is opened.
        var fifo = Fixtures.TempFile(".onnx");
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", [fifo]))
            mkfifo.WaitForExit();
        // (A TimeoutException here means that it blocked.)
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => Task.Run(() => Network.LoadOnnx(fifo)).WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("not a regular file", e.Message);
        File.Delete(fifo);
    }
}
