using System.Diagnostics;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Google.Protobuf;
using Hybrid.Onnx.Proto;
using Xunit.Abstractions;

namespace Hybrid.Onnx.Tests;

/// <summary>
/// Mutated .onnx files, from byte-level damage to crafted graphs: each either loads as a model that runs, or is
/// refused with an InvalidDataException that names the file, within a bounded time and allocation.
/// </summary>
public class HostileFileTests(ITestOutputHelper output)
{
    /// <summary>The files mutated: a Hybrid export with every layer kind and both outputs, and two hand-written graphs
    /// with MatMul + Add, Constant, Reshape, Flatten, Dropout inputs and float_data weights.</summary>
    static readonly byte[][] Originals =
    [
        Exported(),
        Graphs.Handwritten["matmul-add"].Model.ToByteArray(),
        Graphs.Handwritten["reshape-dropout-opset11"].Model.ToByteArray(),
        Graphs.Handwritten["gemm-alpha-beta-flatten"].Model.ToByteArray(),
        Graphs.Handwritten["dropout-inputs-reshape"].Model.ToByteArray(),
    ];

    static byte[] Exported()
    {
        var model = Network.Sequential(12).Dense(8, Activation.Sigmoid).Dropout(0.3).Dense(6, Activation.LeakyReLU(0.2))
            .Dense(5, Activation.Tanh).Dense(4, Activation.Softmax).Dense(3, Activation.Softplus).Dense(3, Activation.ReLU).Dense(3)
            .Compile(Loss.SoftmaxCrossEntropy, Optimizer.Adam(), seed: 4);
        var path = Fixtures.TempFile(".onnx");
        model.ExportOnnx(path);
        var bytes = File.ReadAllBytes(path);
        File.Delete(path);
        return bytes;
    }

    static readonly string[] Kinds =
        ["bit flips", "truncation", "varint edit", "splice", "dims", "tensor data", "input shape", "cycle", "reorder", "op type", "attribute", "wiring", "opset", "metadata"];

    /// <summary>One mutation: which file, what kind, and the seed its details are drawn from.</summary>
    public sealed record Mutation(int File, string Kind, int Seed)
    {
        public override string ToString() => $"{Kind} of file {File} (seed {Seed})";
    }

    static readonly Arbitrary<Mutation> Mutations =
        (from file in Gen.Choose(0, Originals.Length - 1)
         from kind in Gen.Elements(Kinds)
         from seed in Gen.Choose(0, int.MaxValue)
         select new Mutation(file, kind, seed)).ToArbitrary();

    static readonly long[] Sizes = [0, -1, 1, 2, 3, 5, 7, 255, 1L << 31, 1L << 32, 1L << 40, 1L << 62, long.MaxValue, long.MinValue];

    static byte[] Varint(ulong v)
    {
        var bytes = new List<byte>();
        do
        {
            var b = (byte)(v & 0x7F);
            v >>= 7;
            bytes.Add(v != 0 ? (byte)(b | 0x80) : b);
        } while (v != 0);

        return [.. bytes];
    }

    static IEnumerable<TensorProto> Tensors(ModelProto m) =>
        m.Graph.Initializer.Concat(m.Graph.Node.SelectMany(n => n.Attribute).Where(a => a.T is not null).Select(a => a.T));

    static T Pick<T>(Random rng, IReadOnlyList<T> items) => items[rng.Next(items.Count)];

    /// <summary>The mutated bytes; for "reorder", also whether the result must load as the original does.</summary>
    static (byte[] Bytes, bool MustLoad) Apply(Mutation mutation)
    {
        var original = Originals[mutation.File];
        var rng = new Random(mutation.Seed);
        var bytes = (byte[])original.Clone();
        switch (mutation.Kind)
        {
            case "bit flips":
                for (var k = rng.Next(1, 9); k > 0; k--) bytes[rng.Next(bytes.Length)] ^= (byte)(1 << rng.Next(8));
                return (bytes, false);
            case "truncation":
                return (bytes[..rng.Next(bytes.Length)], false);
            case "varint edit":
            {
                // A length or value replaced by another varint: huge lengths, lengths past the end, 10-byte overlong forms.
                var at = rng.Next(bytes.Length);
                var cut = Math.Min(rng.Next(1, 4), bytes.Length - at);
                var value = rng.Next(4) switch
                {
                    0 => (ulong)Pick(rng, Sizes),
                    1 => (ulong)(bytes.Length - at + rng.Next(-3, 64)),
                    2 => ulong.MaxValue,
                    _ => (ulong)rng.NextInt64(),
                };
                return ([.. bytes[..at], .. Varint(value), .. bytes[(at + cut)..]], false);
            }
            case "splice":
            {
                var at = rng.Next(bytes.Length);
                var length = rng.Next(1, Math.Min(64, bytes.Length - at) + 1);
                return rng.Next(2) == 0
                    ? ([.. bytes[..at], .. bytes[(at + length)..]], false)
                    : ([.. bytes[..(at + length)], .. bytes[at..]], false);
            }
        }

        var m = ModelProto.Parser.ParseFrom(original);
        var nodes = m.Graph.Node;
        var mustLoad = false;
        switch (mutation.Kind)
        {
            case "dims":
            {
                var t = Pick(rng, Tensors(m).ToList());
                switch (rng.Next(3))
                {
                    case 0 when t.Dims.Count > 0: t.Dims[rng.Next(t.Dims.Count)] = rng.Next(2) == 0 ? Pick(rng, Sizes) : t.Dims[0] + rng.Next(-2, 3); break;
                    case 1: t.Dims.Insert(rng.Next(t.Dims.Count + 1), Pick(rng, Sizes)); break;
                    default: if (t.Dims.Count > 0) t.Dims.RemoveAt(rng.Next(t.Dims.Count)); break;
                }

                break;
            }
            case "tensor data":
            {
                var t = Pick(rng, Tensors(m).ToList());
                switch (rng.Next(4))
                {
                    case 0: t.RawData = ByteString.CopyFrom(t.RawData.Span[..rng.Next(t.RawData.Length + 1)]); break;
                    case 1: t.FloatData.AddRange(Enumerable.Repeat(float.NaN, rng.Next(3))); t.DoubleData.Add(1); break;
                    case 2: t.DataType = rng.Next(-2, 20); break;
                    default: t.DataLocation = TensorProto.Types.DataLocation.External; t.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = "/etc/passwd" }); break;
                }

                break;
            }
            case "input shape":
            {
                var input = Pick(rng, m.Graph.Input);
                var tensor = input.Type.TensorType;
                switch (rng.Next(4))
                {
                    case 0 when tensor.Shape.Dim.Count > 0: tensor.Shape.Dim[rng.Next(tensor.Shape.Dim.Count)].DimValue = Pick(rng, Sizes); break;
                    case 1 when tensor.Shape.Dim.Count > 0: tensor.Shape.Dim[rng.Next(tensor.Shape.Dim.Count)].DimParam = "M"; break;
                    case 2: tensor.Shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = rng.Next(-1, 4) }); break;
                    default: tensor.ElemType = rng.Next(0, 17); break;
                }

                break;
            }
            case "cycle":
            {
                // A node reads the output of itself or of a node after it: a cycle whenever that node depends on it.
                var j = rng.Next(nodes.Count);
                var k = rng.Next(j, nodes.Count);
                if (nodes[j].Input.Count == 0) nodes[j].Input.Add(nodes[k].Output[0]);
                else nodes[j].Input[rng.Next(nodes[j].Input.Count)] = nodes[k].Output[0];
                break;
            }
            case "reorder":
            {
                // Nodes listed in another order are the same graph: it must load and compute as the original.
                var shuffled = nodes.OrderBy(_ => rng.Next()).ToArray();
                nodes.Clear();
                nodes.AddRange(shuffled);
                mustLoad = true;
                break;
            }
            case "op type":
                Pick(rng, nodes).OpType = Pick(rng, ["Conv", "", "relu", "Gemm", "MatMul", "Add", "Softmax", "Identity", "Constant", "Flatten", "Dropout", "LSTM", new string('X', 5000)]);
                break;
            case "attribute":
            {
                var node = Pick(rng, nodes);
                var name = Pick(rng, ["alpha", "beta", "transA", "transB", "axis", "ratio", "allowzero", "value", "shape", "seed", "foo"]);
                var existing = node.Attribute.FirstOrDefault(a => a.Name == name);
                var a = existing ?? new AttributeProto { Name = name };
                a.Type = (AttributeProto.Types.AttributeType)rng.Next(0, 15);
                a.I = Pick(rng, Sizes);
                a.F = Pick(rng, [float.NaN, float.PositiveInfinity, -1f, 0f, 1f, 0.5f, 2f, 1e30f]);
                if (rng.Next(4) == 0) a.Ints.AddRange([0, -1]);
                if (existing is null) node.Attribute.Add(a);
                break;
            }
            case "wiring":
            {
                var node = Pick(rng, nodes);
                var names = nodes.SelectMany(n => n.Input.Concat(n.Output)).Concat(m.Graph.Initializer.Select(t => t.Name)).Append("").Append("elsewhere").ToList();
                switch (rng.Next(4))
                {
                    case 0 when node.Input.Count > 0: node.Input[rng.Next(node.Input.Count)] = Pick(rng, names); break;
                    case 1: node.Output[rng.Next(node.Output.Count)] = Pick(rng, names); break;
                    case 2: node.Input.Add(Pick(rng, names)); break;
                    default: if (node.Input.Count > 0) node.Input.RemoveAt(rng.Next(node.Input.Count)); else m.Graph.Output[0].Name = Pick(rng, names); break;
                }

                break;
            }
            case "opset":
                switch (rng.Next(3))
                {
                    case 0: m.OpsetImport[0].Version = Pick(rng, [-1L, 0, 6, 7, 11, 12, 13, 17, 23, 24, long.MaxValue]); break;
                    case 1: m.OpsetImport[0].Domain = Pick(rng, ["ai.onnx", "ai.onnx.ml", "com.microsoft"]); break;
                    default: m.IrVersion = Pick(rng, [-1L, 0, 2, 3, 8, 100]); break;
                }

                break;
            case "metadata":
            {
                var text = m.MetadataProps.FirstOrDefault(p => p.Key == OnnxFormat.ArchitectureKey)?.Value
                           ?? """{"inputs":12,"layers":[{"type":"Linear","in_features":12,"out_features":5}]}""";
                var chars = new StringBuilder(text);
                for (var k = rng.Next(1, 4); k > 0; k--) chars[rng.Next(chars.Length)] = Pick(rng, "0123456789-.e\"{}[],:xp ".ToCharArray());
                m.MetadataProps.Clear();
                m.MetadataProps.Add(new StringStringEntryProto { Key = OnnxFormat.ArchitectureKey, Value = chars.ToString() });
                m.MetadataProps.Add(new StringStringEntryProto { Key = OnnxFormat.LossKey, Value = Pick(rng, ["mean_squared_error", "nonsense", ""]) });
                break;
            }
        }

        return (m.ToByteArray(), mustLoad);
    }

    // Generous bounds: they catch a hang or an allocation sized by a declared length, not a slow case.
    const double SecondsPerCase = 5;
    const long BytesPerCase = 64L << 20;

    [Fact]
    public void Every_mutated_file_loads_as_a_model_that_runs_or_gives_a_named_InvalidDataException()
    {
        var folder = Fixtures.TempFolder();
        var path = Path.Combine(folder, "mutated.onnx");
        var originals = Originals.Select((bytes, i) =>
        {
            File.WriteAllBytes(path, bytes);
            return Network.LoadOnnx(path);
        }).ToArray();
        var probe = originals.Select(o => Fixtures.RandomInputs(4, o.Inputs, seed: 1)).ToArray();
        var outcomes = new Dictionary<string, (int Loaded, int Refused)>();
        var cases = 0;
        var slowest = 0.0;
        long mostAllocated = 0;

        bool Holds(Mutation mutation)
        {
            var (bytes, mustLoad) = Apply(mutation);
            File.WriteAllBytes(path, bytes);
            var allocated = GC.GetAllocatedBytesForCurrentThread();
            var clock = Stopwatch.StartNew();
            Model? model = null;
            try
            {
                model = Network.LoadOnnx(path);
            }
            catch (InvalidDataException e) when (!mustLoad && e.Message.StartsWith($"{path}: ", StringComparison.Ordinal) && e.Message.Length < 2000)
            {
            }

            var seconds = clock.Elapsed.TotalSeconds;
            var bytesUsed = GC.GetAllocatedBytesForCurrentThread() - allocated;
            cases++;
            slowest = Math.Max(slowest, seconds);
            mostAllocated = Math.Max(mostAllocated, bytesUsed);
            var (loaded, refused) = outcomes.GetValueOrDefault(mutation.Kind);
            outcomes[mutation.Kind] = model is null ? (loaded, refused + 1) : (loaded + 1, refused);
            if (seconds > SecondsPerCase || bytesUsed > BytesPerCase) return false;
            if (model is null) return true;

            // A model that loads runs: on samples of its width, it gives one row of its outputs per sample.
            var x = model.Inputs == originals[mutation.File].Inputs ? probe[mutation.File] : Fixtures.RandomInputs(2, Math.Min(model.Inputs, 1 << 16), seed: 2);
            if (x.ColumnCount != model.Inputs) return true;
            var prediction = model.Predict(x);
            if (prediction.Probabilities.RowCount != x.RowCount || prediction.Probabilities.ColumnCount != model.Outputs) return false;
            if (!mustLoad) return true;
            var expected = originals[mutation.File].Predict(x).Probabilities.ToRowMajorArray();
            return model.Layers.SequenceEqual(originals[mutation.File].Layers) && expected.SequenceEqual(prediction.Probabilities.ToRowMajorArray());
        }

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(2500).WithQuietOnSuccess(true), Prop.ForAll(Mutations, Holds));
        Directory.Delete(folder, recursive: true);

        output.WriteLine($"{cases} mutated files (loaded / refused with a named error), slowest {slowest * 1000:F1} ms, most allocated {mostAllocated / 1024.0:F0} KiB:");
        foreach (var (kind, (loaded, refused)) in outcomes.OrderBy(o => o.Key))
            output.WriteLine($"  {kind,-12} {loaded,5} / {refused,5}");
        Assert.True(cases >= 2000);
        Assert.True(outcomes.Values.Sum(o => o.Refused) > cases / 2, "most mutations should be refused");
    }
}
