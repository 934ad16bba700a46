using System.Text.Json;
using Hybrid.Core;
using MathNet.Numerics.LinearAlgebra;
using CoreModel = Hybrid.Core.Sequential;

namespace Hybrid.IO;

/// <summary>
/// What <see cref="Network.Load"/> checks of a model file beyond the safetensors format: the architecture entry
/// (a JSON object of "inputs" and "layers", each layer's fields of the right type and range), the limits of
/// <see cref="ModelLimits"/>, every dense layer's two tensors present with the shapes the architecture gives
/// (including a Linear layer's "in_features"), no tensor left unused, and finite weights unless asked.
/// Every fault is an <see cref="InvalidDataException"/> naming the file, the field and the fault.
/// </summary>
static class ModelFileValidation
{
    const int MaxDepth = 8;

    public sealed record Checked(int Inputs, LayerSpec[] Specs, Dictionary<string, Matrix<float>> Values, Loss Loss);

    /// <summary>How to ask for inference, said wherever the architecture is missing or not Hybrid's.</summary>
    const string InferHint =
        "for a PyTorch state_dict of Linear layers (\"0.weight\" [out, in], \"0.bias\" [out], \"2.weight\", …), name the activation between them: " +
        "Network.Load(path, activation: Activation.ReLU), or --activation relu on the command line";

    public static Checked Check(
        string path, IReadOnlyDictionary<string, StoredTensor> tensors, IReadOnlyDictionary<string, string> metadata, bool allowNonFinite,
        Activation? activation = null)
    {
        InvalidDataException Bad(string field, string what) => InputFile.fault(path, field, what);
        int inputs;
        LayerSpec[] specs;
        // The file's name of spec i's tensors: "i" in Hybrid's files, the state_dict's own module index when inferred.
        Func<int, string> nameOf = i => i.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var inferred = false;
        if (!metadata.TryGetValue(ModelFile.ArchitectureKey, out var architecture))
        {
            if (activation is null)
                throw Bad("metadata", $"the safetensors metadata has no '{ModelFile.ArchitectureKey}' entry, so the layers between the weights are unknown; {InferHint}");
            (inputs, specs, nameOf) = Infer(path, tensors, activation);
            inferred = true;
        }
        else
        {
            try
            {
                (inputs, specs) = ParseArchitecture(path, architecture);
            }
            catch (InvalidDataException) when (activation is not null)
            {
                // Another tool's "architecture" entry: the tensors' names and shapes say the rest.
                (inputs, specs, nameOf) = Infer(path, tensors, activation);
                inferred = true;
            }
            catch (InvalidDataException e)
            {
                throw new InvalidDataException($"{e.Message} (if the file is not Hybrid's: {InferHint})", e);
            }
        }

        ModelLimits.Check(inputs, specs, message => Bad("architecture", $"the model is too large: {message}"));

        Loss loss;
        try
        {
            loss = metadata.TryGetValue(ModelFile.LossKey, out var name) && !inferred ? Loss.Parse(name)
                : inferred && CoreModel.widths(inputs, specs)[^1] == 1 ? Loss.BinaryCrossEntropyWithLogits
                : Loss.SoftmaxCrossEntropy;
        }
        catch (ArgumentException e)
        {
            throw Bad("metadata 'loss'", e.Message);
        }

        var values = new Dictionary<string, Matrix<float>>(StringComparer.Ordinal);
        var used = new HashSet<string>(StringComparer.Ordinal);
        var width = inputs;
        for (var i = 0; i < specs.Length; i++)
        {
            if (specs[i] is LayerSpec.Graph g)
            {
                foreach (var (name, rows, cols, _) in g.rule.Parameters(width))
                {
                    var key = $"{i}.{name}";
                    values[key] = Tensor(path, tensors, key, rows == 1 && name == "bias" ? [cols] : [rows, cols], allowNonFinite,
                        t => ToMatrix(t, rows, cols)); // a one-row bias is stored [n], as PyTorch stores biases
                    used.Add(key);
                }
                width = g.rule.Outputs(width);
            }

            if (specs[i] is not LayerSpec.Dense d) continue;
            var (weight, bias) = ($"{nameOf(i)}.weight", $"{nameOf(i)}.bias");
            values[$"{i}.weight"] = Tensor(path, tensors, weight, [d.outputs, width], allowNonFinite, t => ToMatrix(t, d.outputs, width));
            values[$"{i}.bias"] = Tensor(path, tensors, bias, [d.outputs], allowNonFinite, t => ToMatrix(t, 1, d.outputs));
            used.Add(weight);
            used.Add(bias);
            width = d.outputs;
        }

        var unused = tensors.Keys.Where(k => !used.Contains(k)).Order(StringComparer.Ordinal).ToArray();
        if (unused.Length > 0)
            throw Bad($"tensor '{unused[0]}'", $"no layer of the architecture uses it ({unused.Length} unused tensor{(unused.Length == 1 ? "" : "s")}: {string.Join(", ", unused.Take(5))}{(unused.Length > 5 ? ", …" : "")})");
        return new Checked(inputs, specs, values, loss);
    }

    /// <summary>
    /// The layers of a state_dict of Linear layers, from the tensors' names and shapes alone: "P0.weight" [out, in] and
    /// "P0.bias" [out] for module indices in increasing order (gaps, such as a Dropout's index, are allowed), all under
    /// one prefix P ("" or e.g. "net."), each layer's inputs the outputs of the one before, and
    /// <paramref name="activation"/> between them (none after the last: its outputs are the logits).
    /// </summary>
    static (int Inputs, LayerSpec[] Specs, Func<int, string> NameOf) Infer(string path, IReadOnlyDictionary<string, StoredTensor> tensors, Activation activation)
    {
        InvalidDataException Bad(string field, string what) => InputFile.fault(path, field, what);
        const string expected = "inferring the layers needs a state_dict of Linear layers only: names 'N.weight' [out, in] and 'N.bias' [out] " +
                                "(N the module's index, e.g. 0.weight, 0.bias, 2.weight, 2.bias), under one common prefix at most";
        if (tensors.Count == 0) throw Bad("tensors", $"there are none; {expected}");
        var layers = new SortedDictionary<long, (StoredTensor? Weight, StoredTensor? Bias)>();
        string? prefix = null;
        foreach (var (name, tensor) in tensors.OrderBy(t => t.Key, StringComparer.Ordinal))
        {
            var kind = name.EndsWith(".weight", StringComparison.Ordinal) ? "weight" : name.EndsWith(".bias", StringComparison.Ordinal) ? "bias" : null;
            var stem = kind is null ? "" : name[..^(kind.Length + 1)];
            var dot = stem.LastIndexOf('.');
            var (head, digits) = (stem[..(dot + 1)], stem[(dot + 1)..]);
            if (kind is null || digits.Length is 0 or > 9 || !digits.All(char.IsAsciiDigit))
                throw Bad($"tensor '{Shown(name)}'", $"is not a Linear layer's weight or bias; {expected}");
            if (prefix is not null && head != prefix)
                throw Bad($"tensor '{Shown(name)}'", $"its prefix '{Shown(head)}' differs from '{Shown(prefix)}' of the others; {expected}");
            prefix = head;
            var index = long.Parse(digits, System.Globalization.CultureInfo.InvariantCulture);
            layers.TryGetValue(index, out var layer);
            layers[index] = kind == "weight" ? layer with { Weight = tensor } : layer with { Bias = tensor };
        }

        if (layers.Count > ModelLimits.MaxLayers)
            throw Bad("tensors", $"{layers.Count:N0} Linear layers, more than the {ModelLimits.MaxLayers:N0} a model may have");
        var specs = new List<LayerSpec>();
        var names = new List<string>();
        var inputs = 0;
        string? before = null;
        var width = 0;
        foreach (var (index, (weight, bias)) in layers)
        {
            var name = $"{prefix}{index}";
            if (weight is null) throw Bad($"tensor '{Shown(name)}.bias'", $"has no '{Shown(name)}.weight' beside it; {expected}");
            if (bias is null) throw Bad($"tensor '{Shown(name)}.weight'", $"has no '{Shown(name)}.bias' beside it (a Linear without a bias is not supported); {expected}");
            if (weight.Shape.Length != 2)
                throw Bad($"tensor '{Shown(name)}.weight' shape", $"[{string.Join(", ", weight.Shape)}], not a Linear weight [out, in]; {expected}");
            var (outputs, ins) = (weight.Shape[0], weight.Shape[1]);
            if (outputs < 1 || ins < 1) throw Bad($"tensor '{Shown(name)}.weight' shape", $"[{outputs}, {ins}]: a Linear layer needs at least one input and one output");
            if (before is null) inputs = ins;
            else if (ins != width)
                throw Bad($"tensor '{Shown(name)}.weight' shape",
                    $"[{outputs}, {ins}]: its {ins} inputs are not the {width} outputs of '{Shown(before)}.weight' before it, so the tensors are not one chain of Linear layers");
            if (specs.Count > 0)
            {
                specs.Add(LayerSpec.NewActivation(activation.Kind));
                names.Add("");
            }

            specs.Add(LayerSpec.NewDense(outputs, Initializer.GlorotUniform, Initializer.Zeros));
            names.Add(name);
            before = name;
            width = outputs;
        }

        var table = names.ToArray();
        return (inputs, [.. specs], i => table[i]);
    }

    static string Shown(string name) => name.Length > 60 ? name[..60] + "…" : name;

    /// <summary>A layer's tensor: present, of the expected shape (a bias may be stored [out], [1, out] or [out, 1]), finite unless allowed.</summary>
    static Matrix<float> Tensor(
        string path, IReadOnlyDictionary<string, StoredTensor> tensors, string name, int[] shape, bool allowNonFinite,
        Func<StoredTensor, Matrix<float>> build)
    {
        var expected = $"[{string.Join(", ", shape)}]";
        if (!tensors.TryGetValue(name, out var t))
            throw InputFile.fault(path, $"tensor '{name}'", $"missing: the architecture needs it, of shape {expected}");
        var fits = t.Shape.SequenceEqual(shape)
                   || (shape.Length == 1 && t.Shape.Length == 2 && t.Data.Length == shape[0] && (t.Shape[0] == 1 || t.Shape[1] == 1));
        if (!fits)
            throw InputFile.fault(path, $"tensor '{name}' shape",
                $"[{string.Join(", ", t.Shape)}], but the architecture needs {expected}");
        if (!allowNonFinite)
            for (var i = 0; i < t.Data.Length; i++)
                if (!float.IsFinite(t.Data[i]))
                    throw InputFile.fault(path, $"tensor '{name}'",
                        $"element {i} is {t.Data[i]}; a model's weights must be finite (pass allowNonFinite: true to load it anyway)");
        return build(t);
    }

    /// <summary>Row-major data as a rows × cols matrix.</summary>
    static Matrix<float> ToMatrix(StoredTensor t, int rows, int cols) =>
        Matrix<float>.Build.Dense(rows, cols, (i, j) => t.Data[i * cols + j]);

    /// <summary>
    /// {"inputs": 784, "layers": [{"type": "Linear", "in_features": 784, "out_features": 128}, {"type": "ReLU"}, …]}:
    /// every field of the type and range it must have; unknown layer types and fields refused.
    /// </summary>
    /// <summary>A metadata entry's JSON, at most <paramref name="maxDepth"/> deep; bad JSON is a named error.</summary>
    internal static JsonDocument ParseJson(string json, Func<string, string, InvalidDataException> bad, int maxDepth = MaxDepth)
    {
        try
        {
            return JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = maxDepth });
        }
        catch (JsonException e)
        {
            throw bad("metadata", $"is not valid JSON ({e.Message})");
        }
    }

    public static (int Inputs, LayerSpec[] Specs) ParseArchitecture(string path, string json)
    {
        InvalidDataException Bad(string field, string what) => InputFile.fault(path, $"architecture {field}", what);
        using (var document = ParseJson(json, Bad))
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw Bad("metadata", $"is {root.ValueKind}, not an object with 'inputs' and 'layers'");
            foreach (var p in root.EnumerateObject())
                if (p.Name is not ("inputs" or "layers")) throw Bad("metadata", $"has the unknown field '{p.Name}'");
            var inputs = PositiveInt(root, "inputs", "'inputs'", Bad) ?? throw Bad("'inputs'", "missing");
            if (!root.TryGetProperty("layers", out var layers)) throw Bad("'layers'", "missing");
            if (layers.ValueKind != JsonValueKind.Array) throw Bad("'layers'", $"is {layers.ValueKind}, not an array");
            var count = layers.GetArrayLength();
            if (count == 0) throw Bad("'layers'", "is empty: a model needs at least one layer");
            if (count > ModelLimits.MaxLayers) throw Bad("'layers'", $"{count:N0} layers, more than the {ModelLimits.MaxLayers:N0} a model may have");

            var specs = new LayerSpec[count];
            var width = inputs;
            var i = 0;
            foreach (var layer in layers.EnumerateArray())
            {
                var field = $"layer {i}";
                if (layer.ValueKind != JsonValueKind.Object) throw Bad(field, $"is {layer.ValueKind}, not an object");
                if (!layer.TryGetProperty("type", out var typeElement) || typeElement.ValueKind != JsonValueKind.String)
                    throw Bad(field, "has no 'type' string");
                var type = typeElement.GetString()!;
                string[] allowed = type switch
                {
                    "Linear" => ["type", "in_features", "out_features", "bias"],
                    "Dropout" => ["type", "p", "inplace"],
                    "LeakyReLU" => ["type", "negative_slope", "inplace"],
                    "Softmax" => ["type", "dim"],
                    "ReLU" => ["type", "inplace"],
                    "Sigmoid" or "Tanh" or "Softplus" or "SiLU" => ["type"],
                    "Custom" => ["type", "name"],
                    "CustomLayer" => ["type", "name", "out_features"],
                    _ => throw Bad(field, $"has type '{(type.Length > 40 ? type[..40] + "…" : type)}', which Hybrid does not know (Linear, ReLU, LeakyReLU, Sigmoid, Tanh, Softplus, SiLU, Softmax, Dropout, Custom, CustomLayer)"),
                };
                foreach (var p in layer.EnumerateObject())
                    if (!allowed.Contains(p.Name)) throw Bad(field, $"{type} has the unknown field '{p.Name}'");

                specs[i] = type switch
                {
                    "Linear" => Linear(layer, field, width, Bad),
                    "Dropout" => LayerSpec.NewDropout(Number(layer, "p", field, 0.5, p => p is >= 0 and < 1, "in [0, 1)", Bad)),
                    "LeakyReLU" => LayerSpec.NewActivation(ActivationFunction.NewLeakyReLU(
                        Number(layer, "negative_slope", field, 0.01, double.IsFinite, "finite", Bad))),
                    "Softmax" => Softmax(layer, field, Bad),
                    "ReLU" => LayerSpec.NewActivation(ActivationFunction.ReLU),
                    "Sigmoid" => LayerSpec.NewActivation(ActivationFunction.Sigmoid),
                    "Tanh" => LayerSpec.NewActivation(ActivationFunction.Tanh),
                    "SiLU" => LayerSpec.NewActivation(ActivationFunction.SiLU),
                    "Custom" => LayerSpec.NewActivation(
                        (LayerRegistry.FindActivation(Name(layer, field, Bad)) ?? throw Bad(field, $"uses the custom activation '{Name(layer, field, Bad)}', which is not registered: call LayerRegistry.Register with it before loading")).Kind),
                    "CustomLayer" => CustomLayerSpec(layer, field, width, Bad),
                    _ => LayerSpec.NewActivation(ActivationFunction.Softplus),
                };
                if (specs[i] is LayerSpec.Dense d) width = d.outputs;
                if (specs[i] is LayerSpec.Graph g) width = g.rule.Outputs(width);
                i++;
            }

            return (inputs, specs);
        }
    }

    static LayerSpec Linear(JsonElement layer, string field, int width, Func<string, string, InvalidDataException> bad)
    {
        var outputs = PositiveInt(layer, "out_features", field, bad) ?? throw bad(field, "Linear has no 'out_features'");
        if (PositiveInt(layer, "in_features", field, bad) is { } inFeatures && inFeatures != width)
            throw bad(field, $"Linear has in_features {inFeatures}, but the layer before it gives {width}");
        if (layer.TryGetProperty("bias", out var bias) && bias.ValueKind != JsonValueKind.True)
            throw bad(field, "Linear without a bias is not supported ('bias' must be true)");
        return LayerSpec.NewDense(outputs, Initializer.GlorotUniform, Initializer.Zeros);
    }

    static string Name(JsonElement layer, string field, Func<string, string, InvalidDataException> bad) =>
        layer.TryGetProperty("name", out var name) && name.ValueKind == JsonValueKind.String && name.GetString() is { Length: > 0 } text
            ? text
            : throw bad(field, "has no 'name' string naming the custom activation or layer");

    static LayerSpec CustomLayerSpec(JsonElement layer, string field, int width, Func<string, string, InvalidDataException> bad)
    {
        var name = Name(layer, field, bad);
        var custom = LayerRegistry.FindLayer(name)
                     ?? throw bad(field, $"uses the custom layer '{name}', which is not registered: call LayerRegistry.Register with it before loading");
        if (PositiveInt(layer, "out_features", field, bad) is { } outputs && outputs != custom.Outputs(width))
            throw bad(field, $"the custom layer '{name}' gives {custom.Outputs(width)} outputs for {width} inputs, but the file says {outputs}");
        return LayerSpec.NewGraph(custom.Rule);
    }

    static LayerSpec Softmax(JsonElement layer, string field, Func<string, string, InvalidDataException> bad)
    {
        if (layer.TryGetProperty("dim", out var dim) && !(dim.ValueKind == JsonValueKind.Number && dim.TryGetInt32(out var d) && d is 1 or -1))
            throw bad(field, $"Softmax over dim {dim.GetRawText()}; only dim 1 (or -1), over each sample's outputs, is supported");
        return LayerSpec.NewActivation(ActivationFunction.Softmax);
    }

    static int? PositiveInt(JsonElement owner, string name, string field, Func<string, string, InvalidDataException> bad)
    {
        if (!owner.TryGetProperty(name, out var value)) return null;
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out var n))
            throw bad(field, $"'{name}' is {Shown(value)}, not an integer");
        if (n < 1 || n > int.MaxValue) throw bad(field, $"'{name}' is {n}, not in [1, {int.MaxValue}]");
        return (int)n;
    }

    static double Number(
        JsonElement owner, string name, string field, double fallback, Func<double, bool> valid, string range,
        Func<string, string, InvalidDataException> bad)
    {
        if (!owner.TryGetProperty(name, out var value)) return fallback;
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out var x))
            throw bad(field, $"'{name}' is {Shown(value)}, not a number");
        return valid(x) ? x : throw bad(field, $"'{name}' is {x}, not {range}");
    }

    static string Shown(JsonElement value)
    {
        var text = value.GetRawText();
        return text.Length > 40 ? text[..40] + "…" : text;
    }
}
