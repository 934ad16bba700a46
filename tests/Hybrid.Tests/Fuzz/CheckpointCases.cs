using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;
using Hybrid.Data;
using Hybrid.IO;
using MathNet.Numerics.LinearAlgebra;

namespace Hybrid.Tests.Fuzz;

/// <summary>
/// Hostile checkpoints, by class: a real checkpoint of a small random model (random layers, optimizer and schedule,
/// trained a little by Hybrid) with its training state damaged: the "training" entry's JSON (missing, mistyped or
/// out-of-range fields, unknown optimizers and schedules, generator states no generator can have, a history that
/// disagrees with the epochs) and the optimizer's buffers (missing, extra, misshapen, NaN, negative running squares).
/// </summary>
public static class CheckpointCases
{
    /// <summary>A checkpoint in parts: its tensors, its metadata, and the training entry as a node to edit.</summary>
    sealed class Parts
    {
        public Dictionary<string, StoredTensor> Tensors = new(StringComparer.Ordinal);
        public Dictionary<string, string> Metadata = new(StringComparer.Ordinal);
        public JsonObject Training = [];

        public byte[] Bytes()
        {
            if (Training.Count > 0) Metadata[Checkpoint.TrainingKey] = Training.ToJsonString();
            var path = Fixtures.TempFile(".safetensors");
            try
            {
                SafeTensors.Write(path, Tensors.ToArray(), Metadata);
                return File.ReadAllBytes(path);
            }
            finally
            {
                File.Delete(path);
            }
        }

        public string[] Buffers => Tensors.Keys.Where(k => k.StartsWith(Checkpoint.Prefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToArray();
    }

    static readonly Func<Optimizer>[] Optimizers =
    [
        () => Optimizer.Adam(0.01), () => Optimizer.AdamW(0.01), () => Optimizer.Momentum(0.05), () => Optimizer.Nesterov(0.05),
        () => Optimizer.RmsProp(0.01), () => Optimizer.RmsProp(0.01, momentum: 0.5),
    ];

    static readonly Func<Schedule>[] Schedules =
    [
        () => Schedule.Constant, () => Schedule.Cosine(4, 0.001), () => Schedule.Warmup(2, 0.5, Schedule.Step(2, 0.5)),
        () => Schedule.ReduceOnPlateau(0.5, 0), () => Schedule.Exponential(0.9),
    ];

    /// <summary>A checkpoint of a random small model trained 1–3 epochs on random data (optimizers with buffers only).</summary>
    static Parts Checkpointed(Random rng, Func<Optimizer>? optimizer = null)
    {
        var inputs = rng.Next(1, 6);
        var builder = Network.Sequential(inputs).Dense(rng.Next(1, 6), Activation.Tanh);
        if (rng.Next(2) == 0) builder = builder.Dropout(0.25);
        var model = builder.Dense(rng.Next(2, 4)).Compile(Loss.SoftmaxCrossEntropy,
            (optimizer ?? Optimizers[rng.Next(Optimizers.Length)])(), Schedules[rng.Next(Schedules.Length)](), seed: rng.Next());
        var rows = rng.Next(4, 24);
        var x = Matrix<float>.Build.Dense(rows, inputs, (_, _) => (float)(rng.NextDouble() * 2 - 1));
        var data = Dataset.FromLabels(x, Enumerable.Range(0, rows).Select(_ => rng.Next(model.Outputs)).ToArray(), model.Outputs);
        model.Fit(data, epochs: rng.Next(1, 4), batchSize: rng.Next(1, 8), validation: rng.Next(2) == 0 ? data : null);
        var path = Fixtures.TempFile(".safetensors");
        try
        {
            model.SaveCheckpoint(path);
            var (tensors, metadata) = SafeTensors.Read(path);
            var parts = new Parts
            {
                Tensors = tensors.ToDictionary(t => t.Key, t => t.Value, StringComparer.Ordinal),
                Metadata = metadata.ToDictionary(m => m.Key, m => m.Value, StringComparer.Ordinal),
            };
            parts.Training = JsonNode.Parse(parts.Metadata[Checkpoint.TrainingKey])!.AsObject();
            return parts;
        }
        finally
        {
            File.Delete(path);
        }
    }

    public sealed record Class(string Name, Expect Expect, Func<Random, byte[]> Make);

    static Class C(string name, Expect expect, Func<Random, byte[]> make) => new(name, expect, make);

    /// <summary>Edits a random checkpoint, then writes it out.</summary>
    static Func<Random, byte[]> Edit(Action<Random, Parts> edit) => rng =>
    {
        var parts = Checkpointed(rng);
        edit(rng, parts);
        return parts.Bytes();
    };

    static Func<Random, byte[]> Training(Action<Random, JsonObject> edit) => Edit((rng, p) => edit(rng, p.Training));

    static JsonNode? Any(Random rng, JsonNode?[] values) => values[rng.Next(values.Length)]?.DeepClone();

    static readonly JsonNode?[] NotIntegers = [1.5, "3", null, new JsonArray(), true, new JsonObject(), 1e300, -1];

    static readonly string[] Fields = ["epochs", "seed", "optimizer", "schedule", "steps", "scheduler", "shuffling", "dropout", "history"];

    static StoredTensor With(StoredTensor t, int at, float value)
    {
        var data = (float[])t.Data.Clone();
        data[at] = value;
        return new StoredTensor(t.Shape, data);
    }

    public static readonly Class[] Classes =
    [
        C("checkpoint valid: any optimizer and schedule", Expect.Valid, rng => Checkpointed(rng).Bytes()),
        C("checkpoint valid: SGD without momentum (no buffers)", Expect.Valid, rng => Checkpointed(rng, () => Optimizer.Sgd(0.05)).Bytes()),

        C("training: not JSON, or not an object", Expect.Invalid, Edit((rng, p) =>
        {
            p.Training = [];
            p.Metadata[Checkpoint.TrainingKey] = new[] { "", "{", "[]", "null", "42", "{\"epochs\":", "\u0000" }[rng.Next(7)];
        })),
        C("training: a field missing", Expect.Invalid, Training((rng, t) => t.Remove(Fields[rng.Next(Fields.Length)]))),
        C("training: an unknown field", Expect.Invalid, Training((rng, t) => t[Any(rng, ["momentum", "Epochs", "", "rng"])?.ToString() ?? "x"] = 1)),
        C("training: epochs or steps not a count", Expect.Invalid, Training((rng, t) => t[rng.Next(2) == 0 ? "epochs" : "steps"] = Any(rng, NotIntegers))),
        C("training: epochs disagree with the history", Expect.Invalid, Training((rng, t) => t["epochs"] = (int)t["epochs"]! + rng.Next(1, 5))),
        C("training: clip_norm not positive", Expect.Invalid, Training((rng, t) => t["clip_norm"] = Any(rng, [0, -1, "1", true]))),
        C("optimizer: unknown type or field", Expect.Invalid, Training((rng, t) =>
        {
            var o = t["optimizer"]!.AsObject();
            if (rng.Next(2) == 0) o["type"] = Any(rng, ["lbfgs", "Adam", "", 3, null]);
            else o["amsgrad"] = true;
        })),
        C("optimizer: a hyper-parameter out of range or mistyped", Expect.Invalid, Training((rng, t) =>
        {
            var o = t["optimizer"]!.AsObject();
            var names = o.Select(p => p.Key).Where(k => k is not "type").ToArray();
            var name = names[rng.Next(names.Length)];
            o[name] = name == "nesterov" ? Any(rng, [1, "true", null]) : Any(rng, [-1, "0.1", null, new JsonArray()]);
        })),
        C("schedule: unknown type, field, or value out of range", Expect.Invalid, Training((rng, t) => t["schedule"] = rng.Next(4) switch
        {
            0 => new JsonObject { ["type"] = Any(rng, ["linear", "COSINE", "", 1, null]) },
            1 => new JsonObject { ["type"] = "cosine", ["epochs"] = Any(rng, [0, -3, 1.5, "4"]), ["minimum"] = 0 },
            2 => new JsonObject { ["type"] = "plateau", ["factor"] = Any(rng, [1, 0, -0.5]), ["patience"] = 1, ["threshold"] = 0, ["minimum"] = 0 },
            _ => new JsonObject { ["type"] = "constant", ["gamma"] = 0.5 },
        })),
        C("schedule: warm-ups nested too deep", Expect.Invalid, Training((rng, t) =>
        {
            JsonObject s = new() { ["type"] = "constant" };
            for (var i = 0; i < rng.Next(15, 60); i++) s = new JsonObject { ["type"] = "warmup", ["epochs"] = 1, ["start_factor"] = 0.5, ["then"] = s };
            t["schedule"] = s;
        })),
        C("scheduler: rate, best or bad out of range", Expect.Invalid, Training((rng, t) =>
        {
            var s = t["scheduler"]!.AsObject();
            switch (rng.Next(3))
            {
                case 0: s["rate"] = Any(rng, [0, -0.1, null, "0.1"]); break;
                case 1: s["best"] = Any(rng, ["inf", new JsonArray(), true]); break;
                default: s["bad"] = Any(rng, [-1, 0.5, null]); break;
            }
        })),
        C("generator: a state no generator has", Expect.Invalid, Training((rng, t) =>
        {
            var name = rng.Next(2) == 0 ? "shuffling" : "dropout";
            var state = t[name]!.AsArray();
            switch (rng.Next(5))
            {
                case 0: state.RemoveAt(rng.Next(state.Count)); break;
                case 1: state.Add(1); break;
                case 2: state[rng.Next(56)] = Any(rng, [-1, int.MaxValue, (long)int.MaxValue + 1, 0.5, "1", null]); break;
                case 3: state[56] = Any(rng, [56, -1, 100]); break;
                default: state[57] = ((int)state[57]! + rng.Next(1, 54)) % 55 + 1; break;
            }
        })),
        C("generator: not an array", Expect.Invalid, Training((rng, t) => t[rng.Next(2) == 0 ? "shuffling" : "dropout"] = Any(rng, [1, "state", null, new JsonObject()]))),
        C("history: an epoch out of order, mistyped or not an object", Expect.Invalid, Training((rng, t) =>
        {
            var h = t["history"]!.AsArray();
            var e = h[rng.Next(h.Count)]!.AsObject();
            switch (rng.Next(4))
            {
                case 0: e["epoch"] = (int)e["epoch"]! + rng.Next(1, 3); break;
                case 1: e["loss"] = Any(rng, ["0.5", new JsonArray(), true]); break;
                case 2: e["extra"] = 1; break;
                default: h[rng.Next(h.Count)] = Any(rng, [1, "epoch", null, new JsonArray()]); break;
            }
        })),
        C("buffers: one missing", Expect.Invalid, Edit((rng, p) =>
        {
            var buffers = p.Buffers;
            p.Tensors.Remove(buffers[rng.Next(buffers.Length)]);
        })),
        C("buffers: one the optimizer does not keep", Expect.Invalid, Edit((rng, p) =>
            p.Tensors[Checkpoint.Prefix + new[] { "0.weight.foo", "9.weight.exp_avg", "0.bias.max_exp_avg_sq", "step" }[rng.Next(4)]] = new StoredTensor([2], [0f, 0f]))),
        C("buffers: the wrong shape", Expect.Invalid, Edit((rng, p) =>
        {
            var buffers = p.Buffers;
            var name = buffers[rng.Next(buffers.Length)];
            var t = p.Tensors[name];
            int[] shape = t.Shape.Length == 2 ? (t.Shape[0] != t.Shape[1] ? [t.Shape[1], t.Shape[0]] : [t.Shape[0] * t.Shape[1]]) : [1, t.Shape[0] + 1];
            var data = new float[shape.Aggregate(1, (a, b) => a * b)];
            p.Tensors[name] = new StoredTensor(shape, data);
        })),
        C("buffers: NaN or infinite", Expect.Invalid, Edit((rng, p) =>
        {
            var buffers = p.Buffers;
            var name = buffers[rng.Next(buffers.Length)];
            var t = p.Tensors[name];
            p.Tensors[name] = With(t, rng.Next(t.Data.Length), new[] { float.NaN, float.PositiveInfinity, float.NegativeInfinity }[rng.Next(3)]);
        })),
        C("buffers: a negative running square", Expect.Invalid, rng =>
        {
            var p = Checkpointed(rng, rng.Next(2) == 0 ? () => Optimizer.Adam(0.01) : () => Optimizer.RmsProp(0.01));
            var squares = p.Buffers.Where(b => b.EndsWith("exp_avg_sq", StringComparison.Ordinal) || b.EndsWith("square_avg", StringComparison.Ordinal)).ToArray();
            var name = squares[rng.Next(squares.Length)];
            var t = p.Tensors[name];
            p.Tensors[name] = With(t, rng.Next(t.Data.Length), -(float)(rng.NextDouble() + 1e-6));
            return p.Bytes();
        }),
        C("buffers: without a training entry", Expect.Invalid, Edit((_, p) =>
        {
            p.Training = [];
            p.Metadata.Remove(Checkpoint.TrainingKey);
        })),
        C("damage: a training byte changed", Expect.Either, Edit((rng, p) =>
        {
            var text = p.Training.ToJsonString().ToCharArray();
            text[rng.Next(text.Length)] = "{}[],:\"0123456789.-eE ax"[rng.Next(24)];
            p.Training = [];
            p.Metadata[Checkpoint.TrainingKey] = new string(text);
        })),
    ];

    static Case Make(Class c, int seed) => new(c.Name, c.Expect, c.Make(new Random(seed)), ".safetensors");

    /// <summary>FsCheck's generator over every class: a class and a seed.</summary>
    public static Gen<Case> Generator => Gen.Elements(Classes).SelectMany(_ => Gen.Choose(0, int.MaxValue), Make);

    /// <summary>Every class <paramref name="perClass"/> times with seeds 0, 1, ….</summary>
    public static IEnumerable<Case> Replay(int perClass) =>
        Classes.SelectMany(c => Enumerable.Range(0, perClass).Select(seed => Make(c, seed)));
}
