using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;

namespace Hybrid.Tests.Fuzz;

/// <summary>
/// Hostile safetensors model files, by class: the ones the hostile-user report found (crafted shapes, overlapping
/// offsets, trailing bytes, a header length one byte short, invalid UTF-8, JSON of the wrong types, NaN weights,
/// architectures that lie about their tensors, 100,000 layers, …) and random damage. Each class makes a case from
/// a small random model: FsCheck picks the class and the seed, so a run replays from its FsCheck seed.
/// </summary>
public static class SafeTensorsCases
{
    /// <summary>A model file in parts: the architecture's layers, the tensors in file order, the metadata.</summary>
    sealed class Parts
    {
        public int Inputs;
        public JsonArray Layers = [];
        public List<(string Name, string Dtype, long[] Shape, byte[] Data)> Tensors = [];
        public Dictionary<string, string> Metadata = new();

        public string ArchitectureJson() => new JsonObject { ["inputs"] = Inputs, ["layers"] = Layers.DeepClone() }.ToJsonString();

        /// <summary>The header object with contiguous offsets, and the data.</summary>
        public (JsonObject Header, byte[] Data) Layout()
        {
            var header = new JsonObject();
            var metadata = new JsonObject { ["format"] = "pt", ["architecture"] = ArchitectureJson() };
            foreach (var (k, v) in Metadata) metadata[k] = v;
            header["__metadata__"] = metadata;
            var data = new MemoryStream();
            foreach (var t in Tensors)
            {
                header[t.Name] = new JsonObject
                {
                    ["dtype"] = t.Dtype,
                    ["shape"] = new JsonArray(t.Shape.Select(d => (JsonNode)d).ToArray()),
                    ["data_offsets"] = new JsonArray(data.Length, data.Length + t.Data.Length),
                };
                data.Write(t.Data);
            }

            return (header, data.ToArray());
        }

        public byte[] Bytes()
        {
            var (header, data) = Layout();
            return Assemble(Encoding.UTF8.GetBytes(header.ToJsonString()), data);
        }
    }

    /// <summary>The safetensors layout: u64 header length, the header padded with spaces to 8 bytes, the data.</summary>
    static byte[] Assemble(byte[] header, byte[] data, ulong? length = null)
    {
        var padded = (header.Length + 7) / 8 * 8;
        var bytes = new byte[8 + padded + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, length ?? (ulong)padded);
        header.CopyTo(bytes, 8);
        for (var i = header.Length; i < padded; i++) bytes[8 + i] = (byte)' ';
        data.CopyTo(bytes, 8 + padded);
        return bytes;
    }

    static byte[] Floats(Random rng, long count, bool asDouble = false)
    {
        var bytes = new byte[count * (asDouble ? 8 : 4)];
        for (var i = 0; i < count; i++)
            if (asDouble) BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(i * 8), rng.NextDouble() * 2 - 1);
            else BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), (float)(rng.NextDouble() * 2 - 1));
        return bytes;
    }

    static readonly string[] Activations = ["ReLU", "Tanh", "Sigmoid", "Softplus", "LeakyReLU"];

    /// <summary>A random valid model: 1–6 inputs, 1–3 Linear layers of 1–6 units, activations and dropout between.</summary>
    static Parts Model(Random rng, bool asDouble = false)
    {
        var parts = new Parts { Inputs = rng.Next(1, 7) };
        var width = parts.Inputs;
        var dense = rng.Next(1, 4);
        for (var d = 0; d < dense; d++)
        {
            var outputs = rng.Next(1, 7);
            var index = parts.Layers.Count;
            parts.Layers.Add(new JsonObject { ["type"] = "Linear", ["in_features"] = width, ["out_features"] = outputs });
            parts.Tensors.Add(($"{index}.weight", asDouble ? "F64" : "F32", [outputs, width], Floats(rng, (long)outputs * width, asDouble)));
            parts.Tensors.Add(($"{index}.bias", asDouble ? "F64" : "F32", [outputs], Floats(rng, outputs, asDouble)));
            width = outputs;
            if (d == dense - 1) break;
            var activation = Activations[rng.Next(Activations.Length)];
            parts.Layers.Add(activation == "LeakyReLU"
                ? new JsonObject { ["type"] = activation, ["negative_slope"] = 0.1 }
                : new JsonObject { ["type"] = activation });
            if (rng.Next(3) == 0) parts.Layers.Add(new JsonObject { ["type"] = "Dropout", ["p"] = 0.25 });
        }

        // Tensors in a shuffled file order: the header's order never has to follow the offsets'.
        parts.Tensors = parts.Tensors.OrderBy(_ => rng.Next()).ToList();
        return parts;
    }

    /// <summary>A class of files: its name, what it should give, and how a case is made from a seeded random source.</summary>
    public sealed record Class(string Name, Expect Expect, Func<Random, byte[]> Make);

    static Class C(string name, Expect expect, Func<Random, byte[]> make) => new(name, expect, make);

    /// <summary>Edits the header object of a random valid model, then lays the file out again (header length right).</summary>
    static Func<Random, byte[]> Header(Action<Random, JsonObject, Parts> edit) => rng =>
    {
        var parts = Model(rng);
        var (header, data) = parts.Layout();
        edit(rng, header, parts);
        return Assemble(Encoding.UTF8.GetBytes(header.ToJsonString()), data);
    };

    /// <summary>Edits one random tensor's entry of the header.</summary>
    static Func<Random, byte[]> Tensor(Action<Random, JsonObject> edit) => Header((rng, header, parts) =>
        edit(rng, header[parts.Tensors[rng.Next(parts.Tensors.Count)].Name]!.AsObject()));

    /// <summary>Edits the architecture JSON (as a node), then lays the file out again.</summary>
    static Func<Random, byte[]> Architecture(Action<Random, JsonObject> edit) => Header((rng, header, parts) =>
    {
        var architecture = JsonNode.Parse(parts.ArchitectureJson())!.AsObject();
        edit(rng, architecture);
        header["__metadata__"]!["architecture"] = architecture.ToJsonString();
    });

    static Func<Random, byte[]> Raw(Func<Random, string> header, Func<Random, byte[]>? data = null) => rng =>
        Assemble(Encoding.UTF8.GetBytes(header(rng)), data?.Invoke(rng) ?? []);

    static JsonArray Numbers(params long[] values) => new(values.Select(v => (JsonNode)v).ToArray());

    static JsonObject FirstLinear(JsonObject architecture) =>
        architecture["layers"]!.AsArray().First(l => (string?)l!["type"] == "Linear")!.AsObject();

    static readonly JsonNode?[] NotIntegers = [1.5, "3", null, new JsonArray(), true, new JsonObject(), 1e300];

    static JsonNode? Any(Random rng, JsonNode?[] values) => values[rng.Next(values.Length)]?.DeepClone();

    /// <summary>JSON nested 9 to 2,000 deep (arrays and objects mixed), as text: the JSON writer itself stops at 64.</summary>
    static string Deep(Random rng)
    {
        var opens = Enumerable.Range(0, rng.Next(9, 2000)).Select(_ => rng.Next(2) == 0).ToArray();
        return string.Concat(opens.Select(o => o ? "[" : "{\"a\":")) + "1" + string.Concat(opens.Reverse().Select(o => o ? "]" : "}"));
    }

    static byte[] Replace(byte[] bytes, int at, byte[] with) => [.. bytes[..at], .. with, .. bytes[at..]];

    /// <summary>Every class of the generator; each gives its expected outcome for every seed.</summary>
    public static readonly Class[] Classes =
    [
        // Valid files, in every form the reader must take.
        C("valid: Hybrid's layout", Expect.Valid, rng => Model(rng).Bytes()),
        C("valid: F64 tensors", Expect.Valid, rng => Model(rng, asDouble: true).Bytes()),
        C("valid: PyTorch style (no in_features, LeakyReLU without slope)", Expect.Valid, Architecture((_, a) =>
        {
            foreach (var layer in a["layers"]!.AsArray())
            {
                layer!.AsObject().Remove("in_features");
                layer.AsObject().Remove("negative_slope");
            }
        })),
        C("valid: bias stored as [1, out]", Expect.Valid, Header((_, h, p) =>
        {
            var bias = p.Tensors.First(t => t.Name.EndsWith(".bias", StringComparison.Ordinal));
            h[bias.Name]!["shape"] = Numbers(1, bias.Shape[0]);
        })),
        C("valid: whitespace padding", Expect.Valid, rng =>
        {
            var (header, data) = Model(rng).Layout();
            return Assemble(Encoding.UTF8.GetBytes(header.ToJsonString() + new string('\n', rng.Next(1, 40))), data);
        }),

        // The container: lengths and truncation.
        C("truncated anywhere", Expect.Invalid, rng =>
        {
            var bytes = Model(rng).Bytes();
            return bytes[..rng.Next(bytes.Length)];
        }),
        C("trailing bytes", Expect.Invalid, rng =>
        {
            var bytes = Model(rng).Bytes();
            var extra = new byte[rng.Next(1, 64)];
            rng.NextBytes(extra);
            return [.. bytes, .. extra];
        }),
        C("header length: near the true one", Expect.Invalid, rng =>
        {
            var bytes = Model(rng).Bytes();
            var length = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
            var shift = rng.Next(1, 17) * (rng.Next(2) == 0 ? -1 : 1);
            BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)Math.Max(0, (long)length + shift));
            return bytes;
        }),
        C("header length: one byte short", Expect.Invalid, rng =>
        {
            var bytes = Model(rng).Bytes();
            BinaryPrimitives.WriteUInt64LittleEndian(bytes, BinaryPrimitives.ReadUInt64LittleEndian(bytes) - 1);
            return bytes;
        }),
        C("header length: any value", Expect.Invalid, rng =>
        {
            var bytes = Model(rng).Bytes();
            ulong[] choices = [0, 1, 2, ulong.MaxValue, long.MaxValue, int.MaxValue, (ulong)int.MaxValue + 1, 100_000_001, (ulong)bytes.Length, (ulong)rng.NextInt64()];
            BinaryPrimitives.WriteUInt64LittleEndian(bytes, choices[rng.Next(choices.Length)]);
            return bytes;
        }),

        // Shapes: the overflow that crashed, negative and oversized dimensions, wrong types.
        C("shape: element count overflows", Expect.Invalid, Tensor((rng, t) =>
        {
            long[][] shapes = [[5, 5581, 8681, 49477, 384773], [int.MaxValue, int.MaxValue], [int.MaxValue, int.MaxValue, int.MaxValue, 4], [65536, 65536, 65536, 65536]];
            t["shape"] = Numbers(shapes[rng.Next(shapes.Length)]);
            t["data_offsets"] = Numbers(0, 4);
        })),
        C("shape: negative dimension", Expect.Invalid, Tensor((rng, t) => t["shape"] = Numbers(-rng.Next(1, 1000), -4))),
        C("shape: dimension above 2^31 - 1", Expect.Invalid, Tensor((rng, t) => t["shape"] = Numbers((long)int.MaxValue + rng.Next(1, 1000)))),
        C("shape: not integers", Expect.Invalid, Tensor((rng, t) => t["shape"] = new JsonArray(Any(rng, NotIntegers), 2))),
        C("shape: not an array", Expect.Invalid, Tensor((rng, t) => t["shape"] = Any(rng, [4, "4", null, new JsonObject { ["0"] = 4 }]))),
        C("shape: too many dimensions", Expect.Invalid, Tensor((rng, t) => t["shape"] = Numbers(Enumerable.Repeat(1L, rng.Next(33, 200)).ToArray()))),
        C("shape: transposed [in, out]", Expect.Invalid, Header((rng, h, p) =>
        {
            var weight = p.Tensors.FirstOrDefault(t => t.Name.EndsWith(".weight", StringComparison.Ordinal) && t.Shape[0] != t.Shape[1]);
            if (weight.Name is null) h["0.weight"]!["shape"] = Numbers(-1); // square layers only: damage it another way
            else h[weight.Name]!["shape"] = Numbers(weight.Shape[1], weight.Shape[0]);
        })),

        // Offsets: overlap, gap, order, range, types.
        C("offsets: overlap", Expect.Invalid, Header((rng, h, p) =>
        {
            var t = p.Tensors[rng.Next(1, Math.Max(2, p.Tensors.Count))  % p.Tensors.Count];
            var o = h[t.Name]!["data_offsets"]!.AsArray();
            long begin = (long)o[0]!, end = (long)o[1]!;
            var back = begin == 0 ? -1 : Math.Min(begin, rng.Next(1, 5) * 4);
            if (back < 0) o[1] = end + 4; // the first tensor: reach into the next one instead
            else h[t.Name]!["data_offsets"] = Numbers(begin - back, end - back);
        })),
        C("offsets: gap", Expect.Invalid, Header((rng, h, p) =>
        {
            var t = p.Tensors[rng.Next(p.Tensors.Count)];
            var o = h[t.Name]!["data_offsets"]!.AsArray();
            var gap = rng.Next(1, 5) * 4;
            h[t.Name]!["data_offsets"] = Numbers((long)o[0]! + gap, (long)o[1]! + gap);
        })),
        C("offsets: begin after end", Expect.Invalid, Tensor((rng, t) =>
        {
            var o = t["data_offsets"]!.AsArray();
            t["data_offsets"] = Numbers((long)o[1]! + 4, (long)o[0]!);
        })),
        C("offsets: out of range", Expect.Invalid, Tensor((rng, t) =>
        {
            long[][] choices = [[-4, 0], [0, -4], [0, long.MaxValue], [long.MaxValue - 3, long.MaxValue], [1L << 40, (1L << 40) + 4]];
            t["data_offsets"] = Numbers(choices[rng.Next(choices.Length)]);
        })),
        C("offsets: not two integers", Expect.Invalid, Tensor((rng, t) => t["data_offsets"] = Any(rng,
            [Numbers(0), Numbers(0, 4, 8), new JsonArray(0.5, 4), new JsonArray("0", "4"), null, new JsonObject(), 1e300]))),
        C("offsets: 1.8e19 (beyond Int64)", Expect.Invalid, rng =>
        {
            var (header, data) = Model(rng).Layout();
            var text = header.ToJsonString();
            var at = text.IndexOf("\"data_offsets\":[", StringComparison.Ordinal) + 16;
            var comma = text.IndexOf(',', at);
            return Assemble(Encoding.UTF8.GetBytes(text[..at] + "18446744073709551615" + text[comma..]), data);
        }),

        // Dtypes.
        C("dtype: not read (F16, BF16, I64, …)", Expect.Invalid, Tensor((rng, t) => t["dtype"] = Any(rng, ["F16", "BF16", "I64", "U8", "BOOL", "F8_E4M3", "I32"]))),
        C("dtype: unknown or not a string", Expect.Invalid, Tensor((rng, t) => t["dtype"] = Any(rng, ["f32", "FLOAT", "", "F32 ", 32, null, new JsonArray("F32")]))),
        C("dtype: F64 over F32 data", Expect.Invalid, Tensor((_, t) => t["dtype"] = "F64")),
        C("fields: missing one", Expect.Invalid, Tensor((rng, t) => t.Remove(new[] { "dtype", "shape", "data_offsets" }[rng.Next(3)]))),
        C("fields: unknown one", Expect.Invalid, Tensor((rng, t) => t["strides"] = Numbers(1))),

        // The header as text: UTF-8, JSON syntax and types, depth, duplicates.
        C("utf8: invalid bytes in a name or value", Expect.Invalid, rng =>
        {
            var (header, data) = Model(rng).Layout();
            var json = Encoding.UTF8.GetBytes(header.ToJsonString());
            byte[][] invalid = [[0xFF], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xE2, 0x82], [0x80], [0xF8, 0x88, 0x80, 0x80, 0x80]];
            // Inside a string: right after an opening quote of a key or value.
            var quotes = Enumerable.Range(0, json.Length).Where(i => json[i] == (byte)'"').ToArray();
            var at = quotes[rng.Next(quotes.Length / 2) * 2] + 1;
            return Assemble(Replace(json, at, invalid[rng.Next(invalid.Length)]), data);
        }),
        C("json: not an object at the root", Expect.Invalid, Raw(rng => new[] { "[]", "[1,2]", "\"text\"", "42", "null", "true" }[rng.Next(6)])),
        C("json: a tensor is not an object", Expect.Invalid, Header((rng, h, p) => h[p.Tensors[0].Name] = Any(rng, [1, "x", new JsonArray(), null]))),
        C("json: metadata not an object of strings", Expect.Invalid, Header((rng, h, _) =>
        {
            if (rng.Next(2) == 0) h["__metadata__"] = Any(rng, [1, "x", new JsonArray(), null]);
            else h["__metadata__"]!["extra"] = Any(rng, [1, new JsonObject(), new JsonArray(), null, true]);
        })),
        C("json: syntax error", Expect.Invalid, rng =>
        {
            var (header, data) = Model(rng).Layout();
            var text = header.ToJsonString();
            var cut = rng.Next(1, text.Length - 1);
            string[] junk = ["", "}", "{", ",", ":", "]", "\"", "\\", "//", "NaN"];
            return Assemble(Encoding.UTF8.GetBytes(text[..cut] + junk[rng.Next(junk.Length)]), data);
        }),
        C("json: nested too deep", Expect.Invalid, rng =>
        {
            var (header, data) = Model(rng).Layout();
            var text = header.ToJsonString();
            return Assemble(Encoding.UTF8.GetBytes(text[..^1] + ",\"deep\":" + Deep(rng) + "}"), data);
        }),
        C("json: a tensor listed twice", Expect.Invalid, rng =>
        {
            var (header, data) = Model(rng).Layout();
            var text = header.ToJsonString();
            var entry = text.IndexOf("\"0.", StringComparison.Ordinal);
            var end = text.IndexOf('}', entry) + 1;
            return Assemble(Encoding.UTF8.GetBytes(text[..^1] + "," + text[entry..end] + "}"), data);
        }),
        C("json: a metadata key listed twice", Expect.Invalid, rng =>
        {
            var (header, data) = Model(rng).Layout();
            var text = header.ToJsonString().Replace("{\"format\":\"pt\"", "{\"format\":\"pt\",\"format\":\"pt\"", StringComparison.Ordinal);
            return Assemble(Encoding.UTF8.GetBytes(text), data);
        }),
        C("json: the header is {}", Expect.Invalid, Raw(_ => "{}")),

        // The model over the container: the architecture and the tensors it needs.
        C("architecture: missing", Expect.Invalid, Header((_, h, _) => h["__metadata__"]!.AsObject().Remove("architecture"))),
        C("architecture: not JSON, or not an object", Expect.Invalid, Header((rng, h, _) =>
            h["__metadata__"]!["architecture"] = new[] { "", "{", "[]", "null", "42", "{\"inputs\":", "\u0000" }[rng.Next(7)])),
        C("architecture: empty layer list", Expect.Invalid, Architecture((_, a) => a["layers"] = new JsonArray())),
        C("architecture: 100,000 ReLU layers", Expect.Invalid, Architecture((_, a) =>
        {
            var layers = a["layers"]!.AsArray();
            for (var i = 0; i < 100_000; i++) layers.Add(new JsonObject { ["type"] = "ReLU" });
        })),
        C("architecture: 'inputs' wrong", Expect.Invalid, Architecture((rng, a) =>
        {
            if (rng.Next(4) == 0) a.Remove("inputs");
            else a["inputs"] = Any(rng, [0, -1, (long)int.MaxValue + 1, "784", 1.5, null, new JsonArray()]);
        })),
        C("architecture: 'layers' not an array", Expect.Invalid, Architecture((rng, a) => a["layers"] = Any(rng, [1, "ReLU", new JsonObject(), null]))),
        C("architecture: out_features wrong", Expect.Invalid, Architecture((rng, a) =>
        {
            var linear = FirstLinear(a);
            if (rng.Next(4) == 0) linear.Remove("out_features");
            else linear["out_features"] = Any(rng, [0, -3, 3_000_000, (long)int.MaxValue + 1, "10", 2.5, null]);
        })),
        C("architecture: in_features disagrees", Expect.Invalid, Architecture((rng, a) =>
            FirstLinear(a)["in_features"] = (int)FirstLinear(a)["in_features"]! + rng.Next(1, 5))),
        C("architecture: unknown layer type or field", Expect.Invalid, Architecture((rng, a) =>
        {
            var layers = a["layers"]!.AsArray();
            if (rng.Next(2) == 0) layers.Insert(0, new JsonObject { ["type"] = Any(rng, ["Conv2d", "relu", "", "GELU", 3, null]) });
            else FirstLinear(a)["padding"] = 1;
        })),
        C("architecture: a layer not an object", Expect.Invalid, Architecture((rng, a) => a["layers"]!.AsArray().Add(Any(rng, [1, "ReLU", new JsonArray(), null])))),
        C("architecture: a layer's value out of range", Expect.Invalid, Architecture((rng, a) =>
        {
            var layers = a["layers"]!.AsArray();
            layers.Insert(0, rng.Next(4) switch
            {
                0 => new JsonObject { ["type"] = "Dropout", ["p"] = Any(rng, [1.0, -0.5, 1.5, "0.5"]) },
                1 => new JsonObject { ["type"] = "LeakyReLU", ["negative_slope"] = Any(rng, ["0.1", null, new JsonArray()]) },
                2 => new JsonObject { ["type"] = "Softmax", ["dim"] = Any(rng, [0, 2, "1"]) },
                _ => new JsonObject { ["type"] = "ReLU", ["inplace"] = 1, ["extra"] = 1 },
            });
        })),
        C("architecture: Linear without bias", Expect.Invalid, Architecture((_, a) => FirstLinear(a)["bias"] = false)),
        C("architecture: nested too deep", Expect.Invalid, Header((rng, h, p) =>
            h["__metadata__"]!["architecture"] = p.ArchitectureJson()[..^1] + ",\"deep\":" + Deep(rng) + "}")),
        C("tensors: one missing", Expect.Invalid, rng =>
        {
            var parts = Model(rng);
            parts.Tensors.RemoveAt(rng.Next(parts.Tensors.Count));
            return parts.Bytes();
        }),
        C("tensors: one not used", Expect.Invalid, rng =>
        {
            var parts = Model(rng);
            parts.Tensors.Insert(rng.Next(parts.Tensors.Count + 1), (new[] { "extra", "9.weight", "0.running_mean", "" }[rng.Next(4)], "F32", [2], Floats(rng, 2)));
            return parts.Bytes();
        }),
        C("tensors: NaN or infinite weights", Expect.Invalid, rng =>
        {
            var parts = Model(rng);
            var t = parts.Tensors[rng.Next(parts.Tensors.Count)];
            float[] bad = [float.NaN, float.PositiveInfinity, float.NegativeInfinity, BitConverter.Int32BitsToSingle(0x7FC00001)];
            BinaryPrimitives.WriteSingleLittleEndian(t.Data.AsSpan(rng.Next(t.Data.Length / 4) * 4), bad[rng.Next(bad.Length)]);
            return parts.Bytes();
        }),
        C("tensors: F64 beyond float32's range", Expect.Invalid, rng =>
        {
            var parts = Model(rng, asDouble: true);
            var t = parts.Tensors[rng.Next(parts.Tensors.Count)];
            BinaryPrimitives.WriteDoubleLittleEndian(t.Data.AsSpan(rng.Next(t.Data.Length / 8) * 8), rng.Next(2) == 0 ? 1e300 : -1e39);
            return parts.Bytes();
        }),
        C("loss: unknown", Expect.Invalid, Header((rng, h, _) => h["__metadata__"]!["loss"] = Any(rng, ["hinge", "", "SOFTMAX_CROSS_ENTROPY"]))),

        // Random damage: a flipped byte may still leave a valid file (a weight changed, a space turned into a tab).
        C("damage: a header byte changed", Expect.Either, rng =>
        {
            var bytes = Model(rng).Bytes();
            var length = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
            bytes[8 + rng.Next(length)] = (byte)rng.Next(256);
            return bytes;
        }),
        C("damage: a data byte changed", Expect.Either, rng =>
        {
            var bytes = Model(rng).Bytes();
            var length = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
            bytes[8 + length + rng.Next(bytes.Length - 8 - length)] ^= (byte)rng.Next(1, 256);
            return bytes;
        }),
    ];

    /// <summary>Cases of one class from a seed.</summary>
    static Case Make(Class c, int seed) => new(c.Name, c.Expect, c.Make(new Random(seed)), ".safetensors");

    /// <summary>FsCheck's generator over the classes <paramref name="which"/> takes: a class (the 100,000-layer one rarely, it is 2 MB) and a seed.</summary>
    public static Gen<Case> Generator(Func<Class, bool> which) =>
        Gen.Frequency(Classes.Where(which).Select(c => (c.Name.StartsWith("architecture: 100,000", StringComparison.Ordinal) ? 1 : 10, Gen.Constant(c))))
            .SelectMany(_ => Gen.Choose(0, int.MaxValue), Make);

    /// <summary>The classes about the model over the container (its architecture, the tensors it needs, its loss), and the valid files.</summary>
    public static bool IsModel(Class c) => c.Name.StartsWith("architecture:", StringComparison.Ordinal)
                                          || c.Name.StartsWith("valid:", StringComparison.Ordinal)
                                          || c.Name.StartsWith("tensors:", StringComparison.Ordinal)
                                          || c.Name.StartsWith("loss:", StringComparison.Ordinal);

    /// <summary>The replay: every class <paramref name="perClass"/> times with seeds 0, 1, …, then the paths that are not files.</summary>
    public static IEnumerable<Case> Replay(int perClass) =>
        Classes.SelectMany(c => Enumerable.Range(0, c.Name.StartsWith("architecture: 100,000", StringComparison.Ordinal) ? 3 : perClass).Select(seed => Make(c, seed)))
            .Concat(Harness.NotFiles(".safetensors"));
}
