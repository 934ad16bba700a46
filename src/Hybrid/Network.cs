using System.Text.Json;
using System.Text.Json.Nodes;
using Hybrid.Core;
using Hybrid.IO;
using CoreModel = Hybrid.Core.Sequential;
using MathNet.Numerics.LinearAlgebra;

namespace Hybrid;

/// <summary>Entry point of the fluent API: build a network layer by layer, or load a saved one.</summary>
/// <example>
/// <code>
/// var model = Network.Sequential(784)
///     .Dense(128, Activation.ReLU)
///     .Dense(10)
///     .Compile(Loss.SoftmaxCrossEntropy, Optimizer.Adam(0.001));
/// </code>
/// </example>
public static class Network
{
    /// <summary>Starts a sequential network taking <paramref name="inputs"/> features per sample.</summary>
    public static SequentialBuilder Sequential(int inputs)
    {
        Providers.EnsureInitialized();
        return inputs >= 1 ? new SequentialBuilder(inputs, []) : throw new ArgumentOutOfRangeException(nameof(inputs), inputs, "a network needs at least one input");
    }

    /// <summary>
    /// Loads a model saved by <see cref="Model.Save"/> or <see cref="Model.SaveCheckpoint"/>, or by PyTorch: an
    /// <c>nn.Sequential</c> of Linear and activation modules saved as safetensors with an "architecture" entry in its
    /// metadata (see tests/interop/torch_mlp.py), or a plain <c>state_dict</c> of Linear layers with no such entry,
    /// given the <paramref name="activation"/> between them (see tests/interop/torch_state_dict.py). The model can
    /// predict and evaluate at once. From a file <see cref="Model.Save"/> wrote, training continues with
    /// <paramref name="optimizer"/> (Adam, lr 0.001, by default) from fresh optimizer state, a constant schedule and
    /// <see cref="Model.EpochsTrained"/> 0. From a checkpoint, training resumes exactly: the epochs, history, seed,
    /// optimizer, schedule, clipping, optimizer buffers and random generators are put back, so <see cref="Model.Fit"/>
    /// continues as if it had never stopped; an <paramref name="optimizer"/> other than the checkpoint's keeps all that
    /// but starts its buffers, and what the schedule has seen, afresh. A checkpoint's training state is checked as
    /// strictly as its weights (every field's type and range; every optimizer buffer present, of its parameter's
    /// shape, finite).
    /// Everything is checked before it is used: the safetensors format (<see cref="SafeTensors.Read"/>), the
    /// architecture (known layer types, fields of the right type and range, at least one and at most 4,096 layers,
    /// a Linear layer's in_features equal to the width before it, at most 2³¹ − 1 parameters whose training state
    /// fits in memory), every layer's tensors present with the architecture's shapes, no tensor left unused, and
    /// every weight finite.
    /// </summary>
    /// <param name="path">The safetensors file.</param>
    /// <param name="optimizer">The optimizer for further training: by default a checkpoint's own, else Adam with lr 0.001.</param>
    /// <param name="allowNonFinite">Load weights that are NaN or infinite (say, to inspect a diverged run) instead of refusing the file.</param>
    /// <param name="activation">
    /// For a file without Hybrid's architecture entry (no metadata, or another tool's), such as a PyTorch
    /// <c>model.state_dict()</c> saved as safetensors: the activation between its Linear layers. The layers are then
    /// inferred from the tensors' names and shapes ("0.weight" [out, in], "0.bias" [out], "2.weight", … under one
    /// prefix at most; gaps in the indices, such as a Dropout's, are allowed; no activation after the last layer, whose
    /// outputs are logits; the loss is softmax cross-entropy, or binary cross-entropy on logits for one output). A file
    /// with Hybrid's architecture entry is read by it, and this is not used. The same checks apply: limits, shapes and finiteness.
    /// </param>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">
    /// The file is not a model this library can read, or the path is not a regular file (a directory, FIFO, socket
    /// or device); the message names the file, the field and the fault.
    /// </exception>
    public static Model Load(string path, Optimizer? optimizer = null, bool allowNonFinite = false, Activation? activation = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Providers.EnsureInitialized();
        var (tensors, metadata) = SafeTensors.Read(path);
        // A checkpoint's optimizer buffers are checked with the rest of its training state, after the layers.
        metadata.TryGetValue(Checkpoint.TrainingKey, out var training);
        bool Buffer(string name) => training is not null && name.StartsWith(Checkpoint.Prefix, StringComparison.Ordinal);
        var weights = training is null ? tensors : tensors.Where(t => !Buffer(t.Key)).ToDictionary(t => t.Key, t => t.Value, StringComparer.Ordinal);
        var file = ModelFileValidation.Check(path, weights, metadata, allowNonFinite, activation);
        Sequential<float> core;
        try
        {
            core = CoreModel.ofParameters(file.Inputs, file.Specs, file.Values);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }

        if (training is null) return new Model(core, file.Loss, optimizer ?? Optimizer.Adam(), null, null, 1);

        var buffers = tensors.Where(t => Buffer(t.Key)).ToDictionary(t => t.Key, t => t.Value, StringComparer.Ordinal);
        var state = Checkpoint.Read(path, training, buffers, Model.ParameterShapes(core));
        var same = optimizer is null || optimizer.Settings.Equals(state.Optimizer.Settings);
        var model = new Model(core, file.Loss, optimizer ?? state.Optimizer, state.Schedule, state.ClipNorm, state.Seed);
        model.RestoreTraining(state, same);
        return model;
    }

    /// <summary>
    /// Loads an ONNX model of a multilayer perceptron, as <see cref="Model.ExportOnnx"/> writes it or as ONNX tools
    /// such as <c>torch.onnx.export</c> do: one float32 input of [N, features] or [N, …] (e.g. [N, 1, 28, 28]); Gemm
    /// (alpha, beta and transB folded in; transA refused), or MatMul followed by an optional Add, as dense layers;
    /// Relu, Sigmoid, Tanh, LeakyRelu, Softplus and Softmax (over each sample) as activations; Dropout as dropout;
    /// Identity, and Flatten or Reshape to [N, features], as nothing. Weights are FLOAT, as raw_data or float_data;
    /// opsets 7 to 23. The path from the data input to the first graph output becomes the layers; Hybrid's own
    /// metadata, when it agrees with the graph, restores the dropout layers an inference graph leaves out.
    /// </summary>
    /// <param name="path">The .onnx file; at most <see cref="Onnx.OnnxFormat.MaxFileBytes"/>, weights inside it (no external data).</param>
    /// <param name="loss">The loss to train on from here. By default the one in Hybrid's metadata; else binary cross-entropy
    /// for a Sigmoid last layer, mean squared error for a Softmax last layer (so that Predict returns the model's own
    /// probabilities), binary cross-entropy on logits for one output, softmax cross-entropy otherwise.</param>
    /// <param name="optimizer">The optimizer to train on with (Adam, lr 0.001, by default), from fresh state.</param>
    /// <exception cref="FileNotFoundException">No file is at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file is not an ONNX model Hybrid can read (truncated, malformed, too
    /// large, inconsistent shapes, a cycle, an op or attribute it cannot map); the message names the file, the field
    /// or node (index, name, op type) and the fault.</exception>
    public static Model LoadOnnx(string path, Loss? loss = null, Optimizer? optimizer = null)
    {
        Providers.EnsureInitialized();
        var network = Onnx.OnnxImport.Read(path);
        var last = network.Specs[^1];
        loss ??= network.Loss ?? last switch
        {
            LayerSpec.Activation { Item.IsSigmoid: true } => Loss.BinaryCrossEntropy,
            LayerSpec.Activation { Item.IsSoftmax: true } => Loss.MeanSquaredError,
            _ => CoreModel.widths(network.Inputs, network.Specs)[^1] == 1 ? Loss.BinaryCrossEntropyWithLogits : Loss.SoftmaxCrossEntropy,
        };
        Sequential<float> core;
        try
        {
            core = CoreModel.ofParameters(network.Inputs, network.Specs, network.Parameters);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }

        return new Model(core, loss, optimizer ?? Optimizer.Adam(), null, null, 1);
    }
}

/// <summary>Builds a sequential network; each call returns a new builder, so a prefix can be shared.</summary>
public sealed class SequentialBuilder
{
    readonly int inputs;
    readonly IReadOnlyList<LayerSpec> layers;

    internal SequentialBuilder(int inputs, IReadOnlyList<LayerSpec> layers)
    {
        this.inputs = inputs;
        this.layers = layers;
    }

    SequentialBuilder With(params LayerSpec[] more) => new(inputs, [.. layers, .. more]);

    /// <summary>A fully connected layer of <paramref name="units"/> outputs, optionally followed by an activation.</summary>
    /// <param name="units">Number of outputs.</param>
    /// <param name="activation">An activation applied after the layer, or none (logits).</param>
    /// <param name="weights">The weight initializer (Glorot uniform by default); biases start at zero.</param>
    public SequentialBuilder Dense(int units, Activation? activation = null, WeightInit weights = WeightInit.GlorotUniform)
    {
        if (units < 1) throw new ArgumentOutOfRangeException(nameof(units), units, "a dense layer needs at least one unit");
        var dense = LayerSpec.NewDense(units, ModelFile.ToCore(weights), Initializer.Zeros);
        activation?.Check(layers.Count + 1);
        return activation is null ? With(dense) : With(dense, LayerSpec.NewActivation(activation.Kind));
    }

    /// <summary>An activation layer (a custom one's derivative is checked against finite differences first).</summary>
    /// <exception cref="ArgumentException">A custom activation's derivative disagrees with its forward; the message names the layer.</exception>
    public SequentialBuilder Activation(Activation activation)
    {
        ArgumentNullException.ThrowIfNull(activation);
        activation.Check(layers.Count);
        return With(LayerSpec.NewActivation(activation.Kind));
    }

    /// <summary>A layer of your own, gradient-checked against finite differences as it is added.</summary>
    /// <exception cref="ArgumentException">The layer is malformed, or its gradient disagrees with finite differences; the message names the layer.</exception>
    public SequentialBuilder Layer(CustomLayer layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        CustomLayer.Check(layer, layers.Count, CoreModel.widths(inputs, layers.ToArray())[^1]);
        return With(LayerSpec.NewGraph(layer.Rule));
    }

    /// <summary>Inverted dropout: in training each input is zeroed with probability <paramref name="rate"/>; off in evaluation.</summary>
    public SequentialBuilder Dropout(double rate)
    {
        if (!(rate >= 0 && rate < 1)) throw new ArgumentOutOfRangeException(nameof(rate), rate, "the dropout rate must be in [0, 1)");
        return With(LayerSpec.NewDropout(rate));
    }

    /// <summary>Creates the model: initialises the weights from <paramref name="seed"/> and binds the loss and optimizer.</summary>
    /// <param name="loss">What to minimise.</param>
    /// <param name="optimizer">How to update the weights.</param>
    /// <param name="schedule">How the learning rate changes per epoch (constant by default).</param>
    /// <param name="clipNorm">Clip the gradients' global L2 norm to this value before each update.</param>
    /// <param name="seed">The one seed every random choice (initialization, shuffling, dropout) flows from.</param>
    /// <param name="provider">Switch the (process-wide) matrix provider, as <see cref="Providers.Use"/> does.</param>
    public Model Compile(Loss loss, Optimizer optimizer, Schedule? schedule = null, double? clipNorm = null, int seed = 1, ProviderKind? provider = null)
    {
        if (provider is { } kind) Providers.Use(kind);
        ArgumentNullException.ThrowIfNull(loss);
        ArgumentNullException.ThrowIfNull(optimizer);
        if (layers.Count == 0) throw new InvalidOperationException("Compile: the network has no layers; add at least one Dense layer.");
        if (clipNorm is { } c && !(c > 0 && double.IsFinite(c)))
            throw new ArgumentOutOfRangeException(nameof(clipNorm), clipNorm, "Compile: clipNorm must be a positive, finite number");
        ModelLimits.Check(inputs, layers, message => new ArgumentException($"Compile: the network is too large: {message}."));
        CheckLossFits(loss);
        var core = CoreModel.create<float>(new Random(seed), inputs, layers.ToArray());
        return new Model(core, loss, optimizer, schedule, clipNorm, seed);
    }

    /// <summary>Refuses a loss that would train silently wrong on these layers, saying what to use instead.</summary>
    void CheckLossFits(Loss loss)
    {
        var outputs = CoreModel.widths(inputs, layers.ToArray())[^1];
        var last = layers[^1];
        if (loss.Function.IsSoftmaxCrossEntropy && outputs == 1)
            throw new ArgumentException(
                "Compile: softmax cross-entropy over one output is always 0 (the softmax of one number is 1), so nothing would be learned; " +
                "for two classes use Loss.BinaryCrossEntropyWithLogits on one output (or Loss.BinaryCrossEntropy after a Sigmoid), " +
                "or give the last Dense layer one unit per class.", nameof(loss));
        if (loss.Function.IsSoftmaxCrossEntropy && last is LayerSpec.Activation { Item.IsSoftmax: true })
            throw new ArgumentException(
                "Compile: the last layer is a Softmax and softmax cross-entropy applies a softmax itself (a double softmax); " +
                "remove the Softmax layer (Predict still returns probabilities), or keep it and use Loss.CategoricalCrossEntropy.", nameof(loss));
        if (loss.Function.IsCategoricalCrossEntropy && last is not LayerSpec.Activation { Item.IsSoftmax: true })
            throw new ArgumentException(
                "Compile: categorical cross-entropy takes probabilities, so the last layer must be a Softmax; " +
                "add .Activation(Activation.Softmax), or use Loss.SoftmaxCrossEntropy on the logits.", nameof(loss));
    }
}

/// <summary>How a model is written into safetensors metadata: PyTorch nn.Sequential module names.</summary>
static class ModelFile
{
    public const string ArchitectureKey = "architecture";
    public const string LossKey = "loss";

    public static Initializer ToCore(WeightInit init) => init switch
    {
        WeightInit.GlorotUniform => Initializer.GlorotUniform,
        WeightInit.GlorotNormal => Initializer.GlorotNormal,
        WeightInit.HeUniform => Initializer.HeUniform,
        WeightInit.HeNormal => Initializer.HeNormal,
        WeightInit.LeCunNormal => Initializer.LeCunNormal,
        WeightInit.Zeros => Initializer.Zeros,
        _ => throw new ArgumentOutOfRangeException(nameof(init), init, "unknown initializer"),
    };

    /// <summary>{"inputs": 784, "layers": [{"type": "Linear", "in_features": 784, "out_features": 128}, {"type": "ReLU"}, …]}</summary>
    public static string Architecture(int inputs, IReadOnlyList<LayerSpec> specs)
    {
        var widths = CoreModel.widths(inputs, specs.ToArray());
        var layers = new JsonArray();
        for (var i = 0; i < specs.Count; i++)
        {
            layers.Add(specs[i] switch
            {
                LayerSpec.Dense d => new JsonObject { ["type"] = "Linear", ["in_features"] = widths[i], ["out_features"] = d.outputs },
                LayerSpec.Dropout p => new JsonObject { ["type"] = "Dropout", ["p"] = p.rate },
                LayerSpec.Activation { Item: ActivationFunction.LeakyReLU l } => new JsonObject { ["type"] = "LeakyReLU", ["negative_slope"] = l.alpha },
                LayerSpec.Activation { Item.IsSoftmax: true } => new JsonObject { ["type"] = "Softmax", ["dim"] = 1 },
                LayerSpec.Activation { Item: ActivationFunction.Custom c } => new JsonObject { ["type"] = "Custom", ["name"] = c.rule.Name },
                LayerSpec.Activation a => new JsonObject { ["type"] = Hybrid.Activation.Of(a.Item).Name },
                LayerSpec.Graph g => new JsonObject { ["type"] = "CustomLayer", ["name"] = g.rule.Name, ["out_features"] = widths[i + 1] },
                _ => throw new InvalidOperationException($"layer {i} cannot be described"),
            });
        }

        return new JsonObject { ["inputs"] = inputs, ["layers"] = layers }.ToJsonString();
    }

    public static StoredTensor FromParameter(string name, Matrix<float> m) =>
        name.EndsWith(".bias", StringComparison.Ordinal) && m.RowCount == 1
            ? new StoredTensor([m.ColumnCount], m.Row(0).ToArray())
            : new StoredTensor([m.RowCount, m.ColumnCount], m.ToRowMajorArray());
}
