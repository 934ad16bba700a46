using System.Text.Json;
using System.Text.Json.Nodes;
using Hybrid.Core;
using Hybrid.Training;
using MathNet.Numerics.LinearAlgebra;

namespace Hybrid.IO;

/// <summary>
/// Everything beyond the weights that training needs to continue exactly where it stopped: the epochs trained and
/// their results, the seed, the optimizer, schedule and clipping, the optimizer's steps and buffers, what the
/// schedule has seen, and the shuffling and dropout generators' states.
/// </summary>
sealed record TrainingState(
    int Epochs,
    int Seed,
    Optimizer Optimizer,
    Schedule Schedule,
    double? ClipNorm,
    TrainerState<float> Trainer,
    SchedulerState Scheduler,
    int[] Shuffling,
    int[] Dropout,
    IReadOnlyList<EpochResult> History);

/// <summary>
/// How a checkpoint adds the training state to a model file: a "training" metadata entry (JSON) and the optimizer's
/// buffers as tensors named as PyTorch's optimizer state names them, "optimizer.0.weight.exp_avg" [out, in],
/// "optimizer.0.bias.exp_avg" [out], … (exp_avg and exp_avg_sq for Adam, momentum_buffer for SGD with momentum,
/// square_avg and momentum_buffer for RMSProp). Reading checks every field (type, range, the generators' states,
/// the history's epochs) and every buffer (present, the parameter's shape, finite, running squares not negative);
/// each fault is an <see cref="InvalidDataException"/> naming the file and the field.
/// </summary>
static class Checkpoint
{
    public const string TrainingKey = "training";
    public const string Prefix = "optimizer.";
    const int MaxDepth = 16;

    /// <summary>The buffers an optimizer keeps (PyTorch's names): first, then second; null where it keeps none.</summary>
    public static (string? First, string? Second) Buffers(OptimizerSpec spec) => spec switch
    {
        OptimizerSpec.Sgd s => (s.Item.Momentum != 0 ? "momentum_buffer" : null, null),
        OptimizerSpec.RmsProp r => (r.Item.Momentum > 0 ? "momentum_buffer" : null, "square_avg"),
        _ => ("exp_avg", "exp_avg_sq"),
    };

    /// <summary>The metadata entry and the buffer tensors of a state, for parameters given by name and shape.</summary>
    public static (string Json, KeyValuePair<string, StoredTensor>[] Tensors) Write(
        TrainingState state, IReadOnlyList<(string Name, int Rows, int Columns)> parameters)
    {
        var (first, second) = Buffers(state.Optimizer.Settings);
        var tensors = new List<KeyValuePair<string, StoredTensor>>();
        for (var k = 0; k < parameters.Count; k++)
        {
            var (name, rows, columns) = parameters[k];
            if (first is not null) tensors.Add(KeyValuePair.Create($"{Prefix}{name}.{first}", Stored(name, rows, columns, state.Trainer.First[k])));
            if (second is not null) tensors.Add(KeyValuePair.Create($"{Prefix}{name}.{second}", Stored(name, rows, columns, state.Trainer.Second[k])));
        }

        var history = new JsonArray();
        foreach (var r in state.History)
        {
            history.Add(new JsonObject
            {
                ["epoch"] = r.Epoch,
                ["loss"] = Number(r.Loss),
                ["accuracy"] = Number(r.Accuracy),
                ["validation_loss"] = r.ValidationLoss is { } vl ? Number(vl) : null,
                ["validation_accuracy"] = r.ValidationAccuracy is { } va ? Number(va) : null,
                ["learning_rate"] = Number(r.LearningRate),
                ["seconds"] = Number(r.Seconds),
            });
        }

        var json = new JsonObject
        {
            ["epochs"] = state.Epochs,
            ["seed"] = state.Seed,
            ["optimizer"] = OptimizerJson(state.Optimizer.Settings),
            ["schedule"] = ScheduleJson(state.Schedule.Value),
            ["clip_norm"] = state.ClipNorm,
            ["steps"] = state.Trainer.Steps,
            ["scheduler"] = new JsonObject
            {
                ["rate"] = state.Scheduler.Rate,
                ["best"] = Number(state.Scheduler.Best),
                ["bad"] = state.Scheduler.Bad,
            },
            ["shuffling"] = new JsonArray(state.Shuffling.Select(v => (JsonNode?)v).ToArray()),
            ["dropout"] = new JsonArray(state.Dropout.Select(v => (JsonNode?)v).ToArray()),
            ["history"] = history,
        };
        return (json.ToJsonString(), tensors.ToArray());
    }

    /// <summary>A finite number as itself, anything else as null (NaN accuracy of regression, a best loss of +∞ not yet seen).</summary>
    static JsonNode? Number(double v) => double.IsFinite(v) ? JsonValue.Create(v) : null;

    /// <summary>A buffer in its parameter's storage order (column-major) as the tensor Save writes for the parameter.</summary>
    static StoredTensor Stored(string name, int rows, int columns, float[] data) =>
        ModelFile.FromParameter(name, Matrix<float>.Build.Dense(rows, columns, data));

    static JsonObject OptimizerJson(OptimizerSpec spec) => spec switch
    {
        OptimizerSpec.Sgd { Item: var s } => new JsonObject
        {
            ["type"] = "sgd", ["lr"] = s.LearningRate, ["momentum"] = s.Momentum, ["dampening"] = s.Dampening,
            ["nesterov"] = s.Nesterov, ["weight_decay"] = s.WeightDecay,
        },
        OptimizerSpec.RmsProp { Item: var s } => new JsonObject
        {
            ["type"] = "rmsprop", ["lr"] = s.LearningRate, ["alpha"] = s.Alpha, ["eps"] = s.Eps, ["momentum"] = s.Momentum,
            ["weight_decay"] = s.WeightDecay,
        },
        OptimizerSpec.Adam { Item: var s } => new JsonObject
        {
            ["type"] = s.Decoupled ? "adamw" : "adam", ["lr"] = s.LearningRate, ["beta1"] = s.Beta1, ["beta2"] = s.Beta2,
            ["eps"] = s.Eps, ["weight_decay"] = s.WeightDecay,
        },
        _ => throw new InvalidOperationException($"Checkpoint: the optimizer {spec} cannot be described"),
    };

    static JsonObject ScheduleJson(ScheduleSpec spec) => spec switch
    {
        ScheduleSpec.StepDecay s => new JsonObject { ["type"] = "step", ["step_size"] = s.stepSize, ["gamma"] = s.gamma },
        ScheduleSpec.Exponential s => new JsonObject { ["type"] = "exponential", ["gamma"] = s.gamma },
        ScheduleSpec.Cosine s => new JsonObject { ["type"] = "cosine", ["epochs"] = s.tMax, ["minimum"] = s.etaMin },
        ScheduleSpec.Warmup s => new JsonObject
        {
            ["type"] = "warmup", ["epochs"] = s.epochs, ["start_factor"] = s.startFactor, ["then"] = ScheduleJson(s.after),
        },
        ScheduleSpec.ReduceOnPlateau s => new JsonObject
        {
            ["type"] = "plateau", ["factor"] = s.factor, ["patience"] = s.patience, ["threshold"] = s.threshold, ["minimum"] = s.minLr,
        },
        _ => new JsonObject { ["type"] = "constant" },
    };

    /// <summary>
    /// The training state of a checkpoint, checked against the model's parameters (name, rows, columns in storage);
    /// <paramref name="buffers"/> are the file's tensors whose names begin with "optimizer.", every one of which the
    /// optimizer must use.
    /// </summary>
    public static TrainingState Read(
        string path, string json, IReadOnlyDictionary<string, StoredTensor> buffers,
        IReadOnlyList<(string Name, int Rows, int Columns)> parameters)
    {
        InvalidDataException Bad(string field, string what) => InputFile.fault(path, $"training {field}", what);
        using (var document = ModelFileValidation.ParseJson(json, Bad, MaxDepth))
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw Bad("metadata", $"is {root.ValueKind}, not an object");
            string[] known = ["epochs", "seed", "optimizer", "schedule", "clip_norm", "steps", "scheduler", "shuffling", "dropout", "history"];
            foreach (var p in root.EnumerateObject())
                if (!known.Contains(p.Name)) throw Bad("metadata", $"has the unknown field '{p.Name}'");

            var epochs = Int(root, "epochs", Bad, 0);
            var seed = Int(root, "seed", Bad, int.MinValue);
            var optimizer = ReadOptimizer(Field(root, "optimizer", Bad), Bad);
            var schedule = ReadSchedule(Field(root, "schedule", Bad), "'schedule'", Bad);
            double? clip = null;
            if (root.TryGetProperty("clip_norm", out var c) && c.ValueKind != JsonValueKind.Null)
            {
                clip = Double(root, "clip_norm", Bad);
                if (!(clip > 0 && double.IsFinite(clip.Value))) throw Bad("'clip_norm'", $"is {clip}; it must be positive and finite");
            }

            var steps = Int(root, "steps", Bad, 0);
            var s = Field(root, "scheduler", Bad);
            if (s.ValueKind != JsonValueKind.Object) throw Bad("'scheduler'", $"is {s.ValueKind}, not an object");
            var scheduler = new SchedulerState(
                Double(s, "rate", Bad, "'scheduler' "),
                s.TryGetProperty("best", out var b) && b.ValueKind == JsonValueKind.Null ? double.PositiveInfinity : Double(s, "best", Bad, "'scheduler' "),
                Int(s, "bad", Bad, 0, "'scheduler' "));
            if (!(scheduler.Rate > 0 && double.IsFinite(scheduler.Rate)))
                throw Bad("'scheduler' 'rate'", $"is {scheduler.Rate}; it must be positive and finite");

            var shuffling = ReadRandom(root, "shuffling", Bad);
            var dropout = ReadRandom(root, "dropout", Bad);
            var history = ReadHistory(Field(root, "history", Bad), Bad);
            if (history.Count != epochs)
                throw Bad("'history'", $"has {history.Count} epochs, but 'epochs' says {epochs} were trained");

            var trainer = ReadBuffers(path, optimizer.Settings, steps, buffers, parameters);
            return new TrainingState(epochs, seed, optimizer, schedule, clip, trainer, scheduler, shuffling, dropout, history);
        }
    }

    static TrainerState<float> ReadBuffers(
        string path, OptimizerSpec spec, int steps, IReadOnlyDictionary<string, StoredTensor> buffers,
        IReadOnlyList<(string Name, int Rows, int Columns)> parameters)
    {
        var (firstName, secondName) = Buffers(spec);
        var first = new float[parameters.Count][];
        var second = new float[parameters.Count][];
        var used = new HashSet<string>(StringComparer.Ordinal);
        for (var k = 0; k < parameters.Count; k++)
        {
            var (name, rows, columns) = parameters[k];
            first[k] = firstName is null ? new float[rows * columns] : Buffer(path, buffers, $"{Prefix}{name}.{firstName}", name, rows, columns, false, used);
            second[k] = secondName is null ? new float[rows * columns] : Buffer(path, buffers, $"{Prefix}{name}.{secondName}", name, rows, columns, true, used);
        }

        var unused = buffers.Keys.Where(k => !used.Contains(k)).Order(StringComparer.Ordinal).ToArray();
        if (unused.Length > 0)
            throw InputFile.fault(path, $"tensor '{unused[0]}'",
                $"the optimizer does not keep it ({unused.Length} unused optimizer tensor{(unused.Length == 1 ? "" : "s")}; this optimizer keeps " +
                $"{string.Join(" and ", new[] { firstName, secondName }.Where(n => n is not null).DefaultIfEmpty("no buffers"))})");
        return new TrainerState<float>(steps, first, second);
    }

    /// <summary>One parameter's buffer: present, of the shape Save writes the parameter in, finite (and not negative for a running square).</summary>
    static float[] Buffer(
        string path, IReadOnlyDictionary<string, StoredTensor> buffers, string key, string parameter, int rows, int columns,
        bool square, HashSet<string> used)
    {
        int[] shape = parameter.EndsWith(".bias", StringComparison.Ordinal) ? [columns] : [rows, columns];
        var expected = $"[{string.Join(", ", shape)}]";
        if (!buffers.TryGetValue(key, out var t))
            throw InputFile.fault(path, $"tensor '{key}'", $"missing: the optimizer keeps it for '{parameter}', of shape {expected}");
        if (!t.Shape.SequenceEqual(shape))
            throw InputFile.fault(path, $"tensor '{key}' shape", $"[{string.Join(", ", t.Shape)}], but '{parameter}' is {expected}");
        for (var i = 0; i < t.Data.Length; i++)
        {
            if (!float.IsFinite(t.Data[i]))
                throw InputFile.fault(path, $"tensor '{key}'", $"element {i} is {t.Data[i]}; an optimizer's state must be finite");
            if (square && t.Data[i] < 0)
                throw InputFile.fault(path, $"tensor '{key}'", $"element {i} is {t.Data[i]}; a running average of squares cannot be negative");
        }

        used.Add(key);
        // Stored row-major [rows, columns] (a bias as [columns] of one row); kept column-major, as the parameter is.
        var data = new float[rows * columns];
        for (var i = 0; i < rows; i++)
            for (var j = 0; j < columns; j++)
                data[j * rows + i] = t.Data[i * columns + j];
        return data;
    }

    static Optimizer ReadOptimizer(JsonElement o, Func<string, string, InvalidDataException> bad)
    {
        if (o.ValueKind != JsonValueKind.Object) throw bad("'optimizer'", $"is {o.ValueKind}, not an object");
        var type = String(o, "type", bad, "'optimizer' ");
        string[] fields = type switch
        {
            "sgd" => ["type", "lr", "momentum", "dampening", "nesterov", "weight_decay"],
            "rmsprop" => ["type", "lr", "alpha", "eps", "momentum", "weight_decay"],
            "adam" or "adamw" => ["type", "lr", "beta1", "beta2", "eps", "weight_decay"],
            _ => throw bad("'optimizer' 'type'", $"is '{Short(type)}', which Hybrid does not know (sgd, rmsprop, adam, adamw)"),
        };
        foreach (var p in o.EnumerateObject())
            if (!fields.Contains(p.Name)) throw bad("'optimizer'", $"{type} has the unknown field '{p.Name}'");
        double D(string name) => Double(o, name, bad, "'optimizer' ");
        try
        {
            return type switch
            {
                "sgd" => Optimizer.Sgd(D("lr"), D("momentum"), Bool(o, "nesterov", bad), D("weight_decay"), D("dampening")),
                "rmsprop" => Optimizer.RmsProp(D("lr"), D("alpha"), D("eps"), D("momentum"), D("weight_decay")),
                "adam" => Optimizer.Adam(D("lr"), D("beta1"), D("beta2"), D("eps"), D("weight_decay")),
                _ => Optimizer.AdamW(D("lr"), D("weight_decay"), D("beta1"), D("beta2"), D("eps")),
            };
        }
        catch (ArgumentException e)
        {
            throw bad("'optimizer'", e.Message);
        }
    }

    static Schedule ReadSchedule(JsonElement o, string field, Func<string, string, InvalidDataException> bad)
    {
        if (o.ValueKind != JsonValueKind.Object) throw bad(field, $"is {o.ValueKind}, not an object");
        var type = String(o, "type", bad, field + " ");
        string[] fields = type switch
        {
            "constant" => ["type"],
            "step" => ["type", "step_size", "gamma"],
            "exponential" => ["type", "gamma"],
            "cosine" => ["type", "epochs", "minimum"],
            "warmup" => ["type", "epochs", "start_factor", "then"],
            "plateau" => ["type", "factor", "patience", "threshold", "minimum"],
            _ => throw bad($"{field} 'type'", $"is '{Short(type)}', which Hybrid does not know (constant, step, exponential, cosine, warmup, plateau)"),
        };
        foreach (var p in o.EnumerateObject())
            if (!fields.Contains(p.Name)) throw bad(field, $"{type} has the unknown field '{p.Name}'");
        double D(string name) => Double(o, name, bad, field + " ");
        int I(string name) => Int(o, name, bad, int.MinValue, field + " ");
        try
        {
            return type switch
            {
                "constant" => Schedule.Constant,
                "step" => Schedule.Step(I("step_size"), D("gamma")),
                "exponential" => Schedule.Exponential(D("gamma")),
                "cosine" => Schedule.Cosine(I("epochs"), D("minimum")),
                "warmup" => Schedule.Warmup(I("epochs"), D("start_factor"), ReadSchedule(Field(o, "then", bad, field + " "), field + " 'then'", bad)),
                _ => Schedule.ReduceOnPlateau(D("factor"), I("patience"), D("threshold"), D("minimum")),
            };
        }
        catch (ArgumentException e)
        {
            throw bad(field, e.Message);
        }
    }

    static int[] ReadRandom(JsonElement root, string name, Func<string, string, InvalidDataException> bad)
    {
        var a = Field(root, name, bad);
        if (a.ValueKind != JsonValueKind.Array) throw bad($"'{name}'", $"is {a.ValueKind}, not an array of {SeededRandom.StateLength} integers");
        var values = new List<int>();
        foreach (var e in a.EnumerateArray())
        {
            if (values.Count > SeededRandom.StateLength) break;
            if (e.ValueKind != JsonValueKind.Number || !e.TryGetInt32(out var v))
                throw bad($"'{name}' element {values.Count}", $"is {Describe(e)}, not a 32-bit integer");
            values.Add(v);
        }

        var check = new SeededRandom(0).Restore(values);
        if (check is not null) throw bad($"'{name}'", $"is not a generator's state: it {check}");
        return values.ToArray();
    }

    static IReadOnlyList<EpochResult> ReadHistory(JsonElement a, Func<string, string, InvalidDataException> bad)
    {
        if (a.ValueKind != JsonValueKind.Array) throw bad("'history'", $"is {a.ValueKind}, not an array");
        var results = new List<EpochResult>();
        string[] fields = ["epoch", "loss", "accuracy", "validation_loss", "validation_accuracy", "learning_rate", "seconds"];
        foreach (var e in a.EnumerateArray())
        {
            var field = $"'history' epoch {results.Count + 1}";
            if (e.ValueKind != JsonValueKind.Object) throw bad(field, $"is {e.ValueKind}, not an object");
            foreach (var p in e.EnumerateObject())
                if (!fields.Contains(p.Name)) throw bad(field, $"has the unknown field '{p.Name}'");
            var epoch = Int(e, "epoch", bad, 1, field + " ");
            if (epoch != results.Count + 1) throw bad($"{field} 'epoch'", $"is {epoch}; the history's epochs count 1, 2, 3, … in order");
            double? Optional(string name) =>
                e.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? Double(e, name, bad, field + " ") : null;
            results.Add(new EpochResult(epoch, Optional("loss") ?? double.NaN, Optional("accuracy") ?? double.NaN,
                Optional("validation_loss"), Optional("validation_accuracy"), Optional("learning_rate") ?? double.NaN, Optional("seconds") ?? double.NaN));
        }

        return results;
    }

    static JsonElement Field(JsonElement o, string name, Func<string, string, InvalidDataException> bad, string prefix = "") =>
        o.TryGetProperty(name, out var v) ? v : throw bad($"{prefix}'{name}'", "missing");

    static string String(JsonElement o, string name, Func<string, string, InvalidDataException> bad, string prefix = "")
    {
        var v = Field(o, name, bad, prefix);
        return v.ValueKind == JsonValueKind.String ? v.GetString()! : throw bad($"{prefix}'{name}'", $"is {Describe(v)}, not a string");
    }

    static bool Bool(JsonElement o, string name, Func<string, string, InvalidDataException> bad)
    {
        var v = Field(o, name, bad, "'optimizer' ");
        return v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw bad($"'optimizer' '{name}'", $"is {Describe(v)}, not true or false"),
        };
    }

    static double Double(JsonElement o, string name, Func<string, string, InvalidDataException> bad, string prefix = "")
    {
        var v = Field(o, name, bad, prefix);
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetDouble(out var d) || !double.IsFinite(d))
            throw bad($"{prefix}'{name}'", $"is {Describe(v)}, not a finite number");
        return d;
    }

    static int Int(JsonElement o, string name, Func<string, string, InvalidDataException> bad, int minimum, string prefix = "")
    {
        var v = Field(o, name, bad, prefix);
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out var i))
            throw bad($"{prefix}'{name}'", $"is {Describe(v)}, not a 32-bit integer");
        if (i < minimum) throw bad($"{prefix}'{name}'", $"is {i}; it must be at least {minimum}");
        return i;
    }

    static string Describe(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Number or JsonValueKind.String => Short(e.GetRawText()),
        var k => k.ToString(),
    };

    static string Short(string s) => s.Length > 40 ? s[..40] + "…" : s;
}
