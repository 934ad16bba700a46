using System.Globalization;
using Hybrid.Core;
using Hybrid.Onnx.Proto;
using MathNet.Numerics.LinearAlgebra;
using static Hybrid.Onnx.OnnxFile;

namespace Hybrid.Onnx;

/// <summary>What an ONNX graph is as a Hybrid network: its input width, its layers and their parameters by Hybrid's names.</summary>
sealed record ImportedNetwork(int Inputs, LayerSpec[] Specs, IReadOnlyDictionary<string, Matrix<float>> Parameters, Loss? Loss);

/// <summary>
/// Reads the MLPs ONNX tools write into Hybrid's layers. The graph is checked whole (known ops only, each value
/// produced once, no cycle); then the path from the first graph output back to the data input is followed, and
/// each node on it is mapped: Gemm, or MatMul and Add, to a dense layer; Relu, Sigmoid, Tanh, LeakyRelu, Softplus
/// and Softmax to activations; Dropout to dropout; Identity, and Flatten or Reshape of [N, …] to [N, features], to
/// nothing. Anything else is an InvalidDataException naming the node (index, name, op) and why.
/// </summary>
sealed class OnnxImport
{
    // The ops that may appear anywhere in the graph; Constant only feeds others.
    static readonly string[] Ops = ["Gemm", "MatMul", "Add", "Relu", "Sigmoid", "Tanh", "LeakyRelu", "Softplus", "Softmax", "Identity", "Dropout", "Flatten", "Reshape", "Constant"];

    // The attributes each op may carry, with their types; any other is refused rather than silently ignored.
    static readonly Dictionary<string, (string Name, AttributeProto.Types.AttributeType Type)[]> Attributes = new()
    {
        ["Gemm"] = [("alpha", AttributeProto.Types.AttributeType.Float), ("beta", AttributeProto.Types.AttributeType.Float), ("transA", AttributeProto.Types.AttributeType.Int), ("transB", AttributeProto.Types.AttributeType.Int)],
        ["LeakyRelu"] = [("alpha", AttributeProto.Types.AttributeType.Float)],
        ["Softmax"] = [("axis", AttributeProto.Types.AttributeType.Int)],
        ["Flatten"] = [("axis", AttributeProto.Types.AttributeType.Int)],
        ["Reshape"] = [("allowzero", AttributeProto.Types.AttributeType.Int), ("shape", AttributeProto.Types.AttributeType.Ints)],
        ["Dropout"] = [("ratio", AttributeProto.Types.AttributeType.Float), ("seed", AttributeProto.Types.AttributeType.Int)],
        ["Constant"] = [("value", AttributeProto.Types.AttributeType.Tensor)],
    };

    readonly string path;
    readonly GraphProto graph;
    readonly long opset;
    readonly Dictionary<string, TensorProto> constants = new(StringComparer.Ordinal);
    readonly Dictionary<string, (int Node, int Slot)> producers = new(StringComparer.Ordinal);

    OnnxImport(string path, ModelProto model)
    {
        this.path = path;
        graph = model.Graph ?? throw Fault(path, "graph", "is missing");
        opset = Opset(model);
    }

    /// <summary>Reads the file at <paramref name="path"/> as a Hybrid network.</summary>
    public static ImportedNetwork Read(string path)
    {
        var model = OnnxFile.Read(path);
        var import = new OnnxImport(path, model);
        var network = import.Network();
        return Metadata(path, model, network);
    }

    long Opset(ModelProto model)
    {
        if (model.IrVersion < 3) throw Fault(path, "ir_version", $"is {model.IrVersion}; Hybrid reads IR 3 and later (those with opset_import)");
        var defaults = model.OpsetImport.Where(o => o.Domain is "" or "ai.onnx").ToArray();
        if (defaults.Length != 1)
            throw Fault(path, "opset_import", defaults.Length == 0 ? "names no opset of the default ONNX domain" : "names the default ONNX domain more than once");
        var version = defaults[0].Version;
        if (version < OnnxFormat.OldestOpset || version > OnnxFormat.NewestOpset)
            throw Fault(path, "opset_import", $"opset {version}; Hybrid reads opsets {OnnxFormat.OldestOpset} to {OnnxFormat.NewestOpset}");
        return version;
    }

    string NodeField(int i) => NodeField(i, graph.Node[i]);

    static string NodeField(int i, NodeProto n) => $"graph.node[{i}] {Quote(n.Name)} ({Quote(n.OpType)})";

    InvalidDataException NodeFault(int i, string what) => Fault(path, NodeField(i), what);

    /// <summary>Checks the graph as a whole: names, ops, attributes, producers, acyclicity.</summary>
    void CheckGraph()
    {
        foreach (var t in graph.Initializer)
        {
            if (t.Name.Length == 0) throw Fault(path, "graph.initializer", "an initializer has no name");
            if (!constants.TryAdd(t.Name, t)) throw Fault(path, $"graph.initializer {Quote(t.Name)}", "is defined twice");
        }

        var inputs = new HashSet<string>(StringComparer.Ordinal);
        foreach (var v in graph.Input)
            if (!inputs.Add(v.Name)) throw Fault(path, $"graph.input {Quote(v.Name)}", "is listed twice");

        for (var i = 0; i < graph.Node.Count; i++)
        {
            var node = graph.Node[i];
            if (node.Domain is not ("" or "ai.onnx"))
                throw NodeFault(i, $"is in domain {Quote(node.Domain)}; Hybrid maps ops of the default ONNX domain only");
            if (!Ops.Contains(node.OpType))
                throw NodeFault(i, $"Hybrid cannot map this op; it maps {string.Join(", ", Ops.SkipLast(1))} (and Constant inputs)");
            var known = Attributes.GetValueOrDefault(node.OpType, []);
            if (node.Attribute.Select(a => a.Name).Distinct().Count() != node.Attribute.Count) throw NodeFault(i, "names an attribute twice");
            foreach (var a in node.Attribute)
            {
                var expected = known.FirstOrDefault(k => k.Name == a.Name);
                if (expected.Name is null)
                    throw NodeFault(i, $"has attribute {Quote(a.Name)}, which Hybrid does not know for {node.OpType}");
                if (a.Type != expected.Type && a.Type != AttributeProto.Types.AttributeType.Undefined)
                    throw NodeFault(i, $"attribute {a.Name} is of type {a.Type}; {node.OpType} takes {expected.Type}");
                if (a.RefAttrName.Length > 0) throw NodeFault(i, $"attribute {a.Name} refers to a function attribute, which a main graph cannot");
            }

            if (node.Output.Count == 0) throw NodeFault(i, "has no output");
            for (var slot = 0; slot < node.Output.Count; slot++)
            {
                var name = node.Output[slot];
                if (name.Length == 0) continue;
                if (inputs.Contains(name) || constants.ContainsKey(name) || !producers.TryAdd(name, (i, slot)))
                    throw NodeFault(i, $"writes {Quote(name)}, which is already a graph input, an initializer or another node's output");
            }

            if (node.OpType == "Constant")
            {
                if (node.Output[0].Length == 0) throw NodeFault(i, "has no output name");
                var value = node.Attribute.FirstOrDefault(a => a.Name == "value")?.T
                            ?? throw NodeFault(i, "has no 'value' tensor (Hybrid reads Constant nodes holding a tensor)");
                constants[node.Output[0]] = value;
            }
        }

        // Every input must be provided, and the nodes must form a DAG (Kahn's algorithm: a node whose inputs never
        // all become ready lies on a cycle, or downstream of one).
        var waiting = new int[graph.Node.Count];
        var readers = new Dictionary<int, List<int>>();
        for (var i = 0; i < graph.Node.Count; i++)
            foreach (var name in graph.Node[i].Input)
            {
                if (name.Length == 0 || inputs.Contains(name) || constants.ContainsKey(name) && !producers.ContainsKey(name)) continue;
                if (!producers.TryGetValue(name, out var p))
                    throw NodeFault(i, $"reads {Quote(name)}, which no node, initializer or graph input provides");
                waiting[i]++;
                if (!readers.TryGetValue(p.Node, out var list)) readers[p.Node] = list = [];
                list.Add(i);
            }

        var ready = new Queue<int>(Enumerable.Range(0, waiting.Length).Where(i => waiting[i] == 0));
        var done = 0;
        while (ready.TryDequeue(out var n))
        {
            done++;
            foreach (var r in readers.GetValueOrDefault(n, []))
                if (--waiting[r] == 0)
                    ready.Enqueue(r);
        }

        if (done < waiting.Length)
        {
            var stuck = Enumerable.Range(0, waiting.Length).First(i => waiting[i] > 0);
            throw NodeFault(stuck, "lies on a cycle of the graph (or reads from one): a value depends on itself");
        }
    }

    /// <summary>The one graph input that is not an initializer: its name, rank and features per sample.</summary>
    (string Name, int Rank, int Features) DataInput()
    {
        var data = graph.Input.Where(v => !constants.ContainsKey(v.Name)).ToArray();
        if (data.Length != 1)
            throw Fault(path, "graph.input", $"has {data.Length} inputs besides the initializers; Hybrid reads models with exactly one (the samples)");
        var input = data[0];
        var field = $"graph.input {Quote(input.Name)}";
        var tensor = input.Type?.TensorType ?? throw Fault(path, field, "is not a tensor");
        if (tensor.ElemType != (int)TensorProto.Types.DataType.Float)
            throw Fault(path, field, $"has element type {TypeName(tensor.ElemType)}; Hybrid takes FLOAT samples");
        var dims = tensor.Shape?.Dim ?? throw Fault(path, field, "declares no shape; Hybrid needs [N, features] or [N, …] with every dimension after the batch known");
        if (dims.Count < 2) throw Fault(path, field, $"has rank {dims.Count}; samples are [N, features] or [N, …]");
        long features = 1;
        for (var d = 1; d < dims.Count; d++)
        {
            if (dims[d].ValueCase != TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue || dims[d].DimValue < 1)
                throw Fault(path, $"{field} dim {d}", "has no positive size; every dimension after the batch must be known");
            features *= dims[d].DimValue;
            if (features > int.MaxValue) throw Fault(path, field, "has more features per sample than Hybrid can hold (2³¹ − 1)");
        }

        return (input.Name, dims.Count, (int)features);
    }

    /// <summary>The nodes from the data input to the first graph output, in order.</summary>
    List<int> Path(string input)
    {
        if (graph.Output.Count == 0) throw Fault(path, "graph.output", "is empty");
        var value = graph.Output[0].Name;
        var chain = new List<int>();
        while (value != input)
        {
            if (IsConstant(value)) throw Fault(path, $"graph value {Quote(value)}", "is a constant, but the output must depend on the input");
            if (!producers.TryGetValue(value, out var p)) throw Fault(path, $"graph value {Quote(value)}", "is read on the way to the output, but no node writes it");
            if (p.Slot != 0) throw NodeFault(p.Node, $"output {p.Slot} ({Quote(value)}) is read as data; Hybrid follows each node's first output");
            chain.Add(p.Node);
            // The graph is acyclic, so this walk ends within the node count.
            value = DataOf(p.Node);
        }

        chain.Reverse();
        return chain;
    }

    bool IsConstant(string name) => constants.ContainsKey(name);

    string Input(int i, int k) => k < graph.Node[i].Input.Count ? graph.Node[i].Input[k] : "";

    /// <summary>The input of node i that carries the samples; its other inputs must be constants.</summary>
    string DataOf(int i)
    {
        var node = graph.Node[i];
        var (min, max) = node.OpType switch
        {
            "Gemm" => (2, 3),
            "MatMul" or "Add" => (2, 2),
            "Reshape" => (1, 2),
            "Dropout" => (1, 3),
            "Constant" => (0, 0),
            _ => (1, 1),
        };
        if (node.Input.Count < min || node.Input.Count > max)
            throw NodeFault(i, $"has {node.Input.Count} inputs; {node.OpType} takes {(min == max ? $"{min}" : $"{min} to {max}")}");
        if (node.OpType == "Add")
        {
            var (a, b) = (IsConstant(node.Input[0]), IsConstant(node.Input[1]));
            if (a == b) throw NodeFault(i, a ? "adds two constants on the data path" : "adds two computed values (a skip connection); Hybrid's layers are sequential");
            return a ? node.Input[1] : node.Input[0];
        }

        var data = node.Input[0];
        if (data.Length == 0 || IsConstant(data)) throw NodeFault(i, "takes a constant where the samples should come in (input 0)");
        for (var k = 1; k < node.Input.Count; k++)
            if (node.Input[k].Length > 0 && !IsConstant(node.Input[k]))
                throw NodeFault(i, $"input {k} ({Quote(node.Input[k])}) is computed from the samples; Hybrid needs a constant (an initializer or Constant node) there");
        return data;
    }

    AttributeProto? Attribute(int i, string name) => graph.Node[i].Attribute.FirstOrDefault(a => a.Name == name);

    long Int(int i, string name, long fallback) => Attribute(i, name)?.I ?? fallback;

    float Float(int i, string name, float fallback) => Attribute(i, name)?.F ?? fallback;

    TensorProto Constant(int i, int k) =>
        constants.TryGetValue(Input(i, k), out var t) ? t : throw NodeFault(i, $"input {k} is missing; it must be a constant");

    string ConstantField(int i, int k) => $"{NodeField(i)} input {k} {Quote(graph.Node[i].Input[k])}";

    /// <summary>A dense layer being assembled: W [out, in] row-major, b [out].</summary>
    sealed record Dense(int Inputs, int Outputs, float[] Weight, float[] Bias);

    ImportedNetwork Network()
    {
        CheckGraph();
        var (input, rank, features) = DataInput();
        var width = features;
        var layers = new List<(LayerSpec Spec, Dense? Dense)>();
        Dense? open = null; // the dense layer an Add right after it adds into

        foreach (var i in Path(input))
        {
            var node = graph.Node[i];
            var op = node.OpType;
            var after = open;
            open = null;
            void Needs2D(string why)
            {
                if (rank != 2) throw NodeFault(i, $"gets a rank-{rank} tensor; {why} needs [N, features] (flatten the input first)");
            }

            switch (op)
            {
                case "Identity":
                    open = after;
                    break;
                case "Flatten":
                {
                    var axis = Int(i, "axis", 1);
                    if (axis != 1 && axis + rank != 1)
                        throw NodeFault(i, $"flattens at axis {axis}; Hybrid keeps the batch, so only axis 1 maps (to [N, features])");
                    rank = 2;
                    open = after;
                    break;
                }
                case "Reshape":
                    Reshape(i, ref rank, width);
                    open = after;
                    break;
                case "Gemm":
                    Needs2D("Gemm");
                    open = Gemm(i, width);
                    layers.Add((LayerSpec.NewDense(open.Outputs, Initializer.GlorotUniform, Initializer.Zeros), open));
                    width = open.Outputs;
                    break;
                case "MatMul":
                    Needs2D("MatMul");
                    open = MatMul(i, width);
                    layers.Add((LayerSpec.NewDense(open.Outputs, Initializer.GlorotUniform, Initializer.Zeros), open));
                    width = open.Outputs;
                    break;
                case "Add":
                    if (after is null)
                        throw NodeFault(i, "adds a constant to something other than a dense layer's output; Hybrid maps Add only as the bias of a MatMul or Gemm right before it");
                    AddBias(i, after);
                    open = after;
                    break;
                case "Relu":
                    layers.Add((LayerSpec.NewActivation(ActivationFunction.ReLU), null));
                    break;
                case "Sigmoid":
                    layers.Add((LayerSpec.NewActivation(ActivationFunction.Sigmoid), null));
                    break;
                case "Tanh":
                    layers.Add((LayerSpec.NewActivation(ActivationFunction.Tanh), null));
                    break;
                case "Softplus":
                    layers.Add((LayerSpec.NewActivation(ActivationFunction.Softplus), null));
                    break;
                case "LeakyRelu":
                {
                    var alpha = Float(i, "alpha", 0.01f);
                    if (!float.IsFinite(alpha)) throw NodeFault(i, $"alpha is {alpha}");
                    layers.Add((LayerSpec.NewActivation(ActivationFunction.NewLeakyReLU(Decimal(alpha))), null));
                    break;
                }
                case "Softmax":
                {
                    Needs2D("Softmax");
                    // Opset 13 normalises along one axis (default −1); before, the input was coerced to 2-D at the axis
                    // (default 1). On [N, C] both mean each row when the axis is 1 or −1.
                    var axis = Int(i, "axis", opset >= 13 ? -1 : 1);
                    if (axis is not (1 or -1)) throw NodeFault(i, $"normalises along axis {axis}; Hybrid's softmax normalises each sample (axis 1)");
                    layers.Add((LayerSpec.NewActivation(ActivationFunction.Softmax), null));
                    break;
                }
                case "Dropout":
                    layers.Add((LayerSpec.NewDropout(DropoutRate(i)), null));
                    break;
                default:
                    throw NodeFault(i, "cannot be on the path from the input to the output");
            }
        }

        if (rank != 2) throw Fault(path, $"graph.output {Quote(graph.Output[0].Name)}", $"has rank {rank}; Hybrid's outputs are [N, outputs]");
        if (layers.Count == 0) throw Fault(path, "graph", "maps to no layer (the output is the input)");
        CheckOutput(width);

        var parameters = new Dictionary<string, Matrix<float>>(StringComparer.Ordinal);
        for (var k = 0; k < layers.Count; k++)
            if (layers[k].Dense is { } d)
            {
                parameters[$"{k}.weight"] = Matrix<float>.Build.Dense(d.Outputs, d.Inputs, (r, c) => d.Weight[r * d.Inputs + c]);
                parameters[$"{k}.bias"] = Matrix<float>.Build.Dense(1, d.Outputs, d.Bias);
            }

        return new ImportedNetwork(features, layers.Select(l => l.Spec).ToArray(), parameters, null);
    }

    void CheckOutput(int width)
    {
        var output = graph.Output[0];
        var field = $"graph.output {Quote(output.Name)}";
        if (output.Type?.TensorType is not { } t) return;
        if (t.ElemType is not (0 or (int)TensorProto.Types.DataType.Float))
            throw Fault(path, field, $"has element type {TypeName(t.ElemType)}; Hybrid computes FLOAT");
        if (t.Shape is not { } shape) return;
        if (shape.Dim.Count != 2) throw Fault(path, field, $"declares rank {shape.Dim.Count}; the network gives [N, {width}]");
        if (shape.Dim[1].ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue && shape.Dim[1].DimValue != width)
            throw Fault(path, field, $"declares {shape.Dim[1].DimValue} outputs per sample, but the layers give {width}");
    }

    /// <summary>Reshape to [N, features]: a constant shape of two entries, the first keeping the batch (0 or −1).</summary>
    void Reshape(int i, ref int rank, int width)
    {
        long[] shape;
        if (Input(i, 1).Length > 0) shape = Int64s(path, ConstantField(i, 1), Constant(i, 1));
        else if (opset < 5 && Attribute(i, "shape") is { } a) shape = a.Ints.ToArray();
        else throw NodeFault(i, "has no shape input");
        var allowZero = Int(i, "allowzero", 0) != 0;
        var text = shape.Length <= 8 ? $"[{string.Join(", ", shape)}]" : $"a shape of {shape.Length:N0} entries";
        if (shape.Length != 2 || allowZero && shape.Contains(0))
            throw NodeFault(i, $"reshapes to {text}; Hybrid maps only a reshape to [N, features], such as [-1, {width}] or [0, -1]");
        // [0, …] copies the batch and [−1, F] infers it, which is the batch only when F is the features per sample.
        var keepsRows = shape[0] == 0 && (shape[1] == -1 || shape[1] == width) || shape[0] == -1 && shape[1] == width;
        if (!keepsRows)
            throw NodeFault(i, $"reshapes to {text}; the samples have {width} features each, so only [N, {width}] (as [-1, {width}], [0, -1] or [0, {width}]) keeps one row per sample");
        rank = 2;
    }

    Dense Gemm(int i, int width)
    {
        if (Int(i, "transA", 0) != 0) throw NodeFault(i, "has transA = 1: it would transpose the batch of samples");
        var transB = Int(i, "transB", 0);
        if (transB is not (0 or 1)) throw NodeFault(i, $"has transB = {transB}; expected 0 or 1");
        var alpha = Float(i, "alpha", 1f);
        var beta = Float(i, "beta", 1f);
        if (!float.IsFinite(alpha) || !float.IsFinite(beta)) throw NodeFault(i, $"has alpha = {alpha}, beta = {beta}; both must be finite");
        var dense = Weight(i, 1, width, transposed: transB == 1, scale: alpha);
        if (Input(i, 2).Length > 0) AddBias(i, dense, input: 2, scale: beta);
        return dense;
    }

    Dense MatMul(int i, int width) => Weight(i, 1, width, transposed: false, scale: 1f);

    /// <summary>The weight of a product x·B (or x·Bᵀ when transposed), as Hybrid's W [out, in], scaled by alpha (Gemm's).</summary>
    Dense Weight(int i, int k, int width, bool transposed, float scale)
    {
        var field = ConstantField(i, k);
        var b = Constant(i, k);
        if (b.Dims.Count != 2) throw Fault(path, field, $"has shape [{Dims(b)}]; a weight matrix has two dimensions");
        var values = Floats(path, field, b);
        // The data matched the shape, but an empty matrix may still have a huge other side: check before the int casts.
        if (b.Dims.Any(d => d < 1 || d > int.MaxValue)) throw Fault(path, field, $"has shape [{Dims(b)}]; each dimension of a weight matrix is from 1 to 2³¹ − 1");
        var (rows, cols) = ((int)b.Dims[0], (int)b.Dims[1]);
        var (inputs, outputs) = transposed ? (cols, rows) : (rows, cols);
        if (inputs != width)
            throw Fault(path, field, $"has shape [{Dims(b)}]{(transposed ? " (transposed)" : "")}: {inputs} inputs, but the samples arriving have {width} features");
        if (outputs < 1) throw Fault(path, field, $"has shape [{Dims(b)}]: no outputs");
        var w = transposed ? values : new float[values.Length];
        if (!transposed)
            for (var r = 0; r < rows; r++)
            for (var c = 0; c < cols; c++)
                w[c * rows + r] = values[r * cols + c];
        if (scale != 1f)
            for (var j = 0; j < w.Length; j++) w[j] *= scale;
        CheckFinite(field, w);
        return new Dense(inputs, outputs, w, new float[outputs]);
    }

    /// <summary>Adds a constant that broadcasts over [N, out] ([out], [1, out], [1], a scalar) into the layer's bias.</summary>
    void AddBias(int i, Dense dense, int input = -1, float scale = 1f)
    {
        if (input < 0) input = IsConstant(Input(i, 0)) ? 0 : 1;
        var field = ConstantField(i, input);
        var c = Constant(i, input);
        var dims = c.Dims.ToArray();
        var broadcasts = dims.Length switch
        {
            0 => true,
            1 => dims[0] == dense.Outputs || dims[0] == 1,
            2 => dims[0] == 1 && (dims[1] == dense.Outputs || dims[1] == 1),
            _ => false,
        };
        if (!broadcasts)
            throw Fault(path, field, $"has shape [{Dims(c)}]; a bias for {dense.Outputs} outputs is [{dense.Outputs}], [1, {dense.Outputs}] or one value");
        var values = Floats(path, field, c);
        for (var j = 0; j < dense.Outputs; j++) dense.Bias[j] += scale * values[values.Length == 1 ? 0 : j];
        CheckFinite(field, dense.Bias);
    }

    double DropoutRate(int i)
    {
        float ratio;
        if (Input(i, 1).Length > 0)
        {
            var t = Constant(i, 1);
            var values = Floats(path, ConstantField(i, 1), t);
            if (values.Length != 1) throw Fault(path, ConstantField(i, 1), $"has shape [{Dims(t)}]; the ratio is one value");
            ratio = values[0];
        }
        else ratio = Float(i, "ratio", 0.5f);

        // training_mode only matters in training, where Hybrid applies its own dropout; it must still be readable.
        if (Input(i, 2).Length > 0) _ = Bool(path, ConstantField(i, 2), Constant(i, 2));
        if (!(ratio >= 0 && ratio < 1)) throw NodeFault(i, $"has ratio {ratio}; a dropout rate is in [0, 1)");
        return Decimal(ratio);
    }

    /// <summary>
    /// A float32 attribute as the shortest decimal that gives it back: torch's LeakyReLU(0.1) is stored as 0.1f and
    /// read as 0.1, not 0.10000000149011612; Hybrid computes in float32, where both are the same number.
    /// </summary>
    static double Decimal(float value) => double.Parse(value.ToString("R", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    void CheckFinite(string field, float[] values)
    {
        for (var j = 0; j < values.Length; j++)
            if (!float.IsFinite(values[j]))
                throw Fault(path, field, string.Create(CultureInfo.InvariantCulture, $"value {j} is {values[j]}; weights must be finite"));
    }

    /// <summary>
    /// Hybrid's own metadata, when present and agreeing with the graph, restores what an inference graph leaves out:
    /// the dropout layers and their rates, the exact LeakyReLU slopes, and the loss. When it is absent, unreadable, or
    /// describes other layers than the graph's, the graph alone decides: it is what computes.
    /// </summary>
    static ImportedNetwork Metadata(string path, ModelProto model, ImportedNetwork network)
    {
        string? Get(string key) => model.MetadataProps.LastOrDefault(p => p.Key == key)?.Value;
        Loss? loss = null;
        if (Get(OnnxFormat.LossKey) is { } name)
            try
            {
                loss = Loss.Parse(name);
            }
            catch (ArgumentException)
            {
            }

        if (Get(OnnxFormat.ArchitectureKey) is not { } json) return network with { Loss = loss };
        (int Inputs, LayerSpec[] Specs) described;
        try
        {
            described = IO.ModelFileValidation.ParseArchitecture(path, json);
        }
        catch (Exception e) when (e is InvalidDataException or ArgumentException)
        {
            // ArgumentException: System.Text.Json's JsonObject refuses a duplicate key only when it is read.
            return network with { Loss = loss };
        }

        var graphLayers = network.Specs.Where(s => !s.IsDropout).ToArray();
        var metaLayers = described.Specs.Where(s => !s.IsDropout).ToArray();
        var agrees = described.Inputs == network.Inputs
                     && graphLayers.Length == metaLayers.Length
                     && graphLayers.Zip(metaLayers).All(p => Same(p.First, p.Second))
                     && described.Specs.All(s => s is not LayerSpec.Dropout d || d.rate >= 0 && d.rate < 1);
        if (!agrees) return network with { Loss = loss };

        // The same layers with the dropouts back in: the dense layers' parameters move to their new indices.
        var renamed = new Dictionary<string, Matrix<float>>(StringComparer.Ordinal);
        var denseOld = network.Specs.Select((s, i) => (s, i)).Where(x => x.s.IsDense).Select(x => x.i).ToArray();
        var denseNew = described.Specs.Select((s, i) => (s, i)).Where(x => x.s.IsDense).Select(x => x.i).ToArray();
        for (var k = 0; k < denseOld.Length; k++)
        {
            renamed[$"{denseNew[k]}.weight"] = network.Parameters[$"{denseOld[k]}.weight"];
            renamed[$"{denseNew[k]}.bias"] = network.Parameters[$"{denseOld[k]}.bias"];
        }

        return new ImportedNetwork(network.Inputs, described.Specs, renamed, loss);
    }

    static bool Same(LayerSpec a, LayerSpec b) => (a, b) switch
    {
        (LayerSpec.Dense x, LayerSpec.Dense y) => x.outputs == y.outputs,
        (LayerSpec.Activation { Item: ActivationFunction.LeakyReLU x }, LayerSpec.Activation { Item: ActivationFunction.LeakyReLU y }) => (float)x.alpha == (float)y.alpha,
        (LayerSpec.Activation x, LayerSpec.Activation y) => x.Item.Equals(y.Item),
        _ => false,
    };
}
