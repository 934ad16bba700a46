using FsCheck;
using FsCheck.Fluent;
using Hybrid.IO;

namespace Hybrid.Tests.Fuzz;

/// <summary>
/// Hostile PyTorch state_dicts for <see cref="Network.Load"/> with an activation (the Linear layers inferred from the
/// tensors' names and shapes): valid chains (with gaps in the module indices and a prefix), and chains broken in one
/// way each: a width that does not follow, a weight of rank 1 or 3, a bias missing or of the wrong length, a name
/// that is no module index, two prefixes, a NaN weight, a dimension of zero. Each damage makes the file invalid by
/// construction, so a valid chain must load and every broken one must be refused with a named error.
/// </summary>
public static class StateDictCases
{
    static StoredTensor T(Random rng, params int[] shape) =>
        new(shape, Enumerable.Range(0, shape.Aggregate(1, (a, b) => a * b)).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray());

    /// <summary>A chain of 1–4 Linear layers of widths 1–12, module indices increasing with gaps, under an optional prefix.</summary>
    static List<(string Name, StoredTensor Tensor)> Chain(Random rng, out int[] widths)
    {
        widths = Enumerable.Range(0, rng.Next(2, 6)).Select(_ => rng.Next(1, 13)).ToArray();
        var prefix = new[] { "", "net.", "model.layers." }[rng.Next(3)];
        var tensors = new List<(string, StoredTensor)>();
        var index = rng.Next(3);
        for (var k = 0; k + 1 < widths.Length; k++)
        {
            tensors.Add(($"{prefix}{index}.weight", T(rng, widths[k + 1], widths[k])));
            tensors.Add(($"{prefix}{index}.bias", T(rng, widths[k + 1])));
            index += rng.Next(1, 4);
        }

        return tensors;
    }

    static byte[] Bytes(List<(string Name, StoredTensor Tensor)> tensors)
    {
        var path = Path.Combine(Path.GetTempPath(), $"hybrid-state-dict-case-{Guid.NewGuid():N}.safetensors");
        try
        {
            SafeTensors.Write(path, tensors.Select(t => KeyValuePair.Create(t.Name, t.Tensor)).ToArray(), new Dictionary<string, string>());
            return File.ReadAllBytes(path);
        }
        finally
        {
            File.Delete(path);
        }
    }

    static byte[] Broken(Random rng, Func<List<(string Name, StoredTensor Tensor)>, Random, int> damage)
    {
        var tensors = Chain(rng, out _);
        damage(tensors, rng);
        return Bytes(tensors);
    }

    static int Replace(List<(string Name, StoredTensor Tensor)> tensors, int at, StoredTensor tensor)
    {
        tensors[at] = (tensors[at].Name, tensor);
        return at;
    }

    public sealed record Class(string Name, Expect Expect, Func<Random, byte[]> Make);

    public static readonly Class[] Classes =
    [
        new("valid chain", Expect.Valid, rng => Bytes(Chain(rng, out _))),
        new("width does not follow", Expect.Invalid, rng =>
        {
            var tensors = Chain(rng, out var widths);
            if (tensors.Count == 2) tensors.AddRange([("99.weight", T(rng, 3, widths[^1] + 1)), ("99.bias", T(rng, 3))]);
            else
            {
                var w = tensors[2].Tensor.Shape;
                tensors[2] = (tensors[2].Name, T(rng, w[0], w[1] + rng.Next(1, 5)));
            }

            return Bytes(tensors);
        }),
        new("weight of rank 1 or 3", Expect.Invalid, rng => Broken(rng, (t, r) =>
            Replace(t, 0, r.Next(2) == 0 ? T(r, t[0].Tensor.Shape[0]) : T(r, t[0].Tensor.Shape[0], t[0].Tensor.Shape[1], 2)))),
        new("bias missing", Expect.Invalid, rng => Broken(rng, (t, r) =>
        {
            t.RemoveAt(2 * r.Next(t.Count / 2) + 1);
            return 0;
        })),
        new("bias of the wrong length", Expect.Invalid, rng => Broken(rng, (t, r) => Replace(t, 1, T(r, t[1].Tensor.Shape[0] + r.Next(1, 4))))),
        new("name without a module index", Expect.Invalid, rng => Broken(rng, (t, r) =>
        {
            t.Add((new[] { "encoder.weight", "0.weight_g", "x.y", "1e3.bias", "-1.weight", "0.running_mean" }[r.Next(6)], T(r, 2, 2)));
            return 0;
        })),
        new("two prefixes", Expect.Invalid, rng => Broken(rng, (t, r) =>
        {
            t.Add(("other.50.weight", T(r, 2, t[^2].Tensor.Shape[0])));
            t.Add(("other.50.bias", T(r, 2)));
            return 0;
        })),
        new("a NaN or infinite weight", Expect.Invalid, rng => Broken(rng, (t, r) =>
        {
            var w = t[0].Tensor;
            w.Data[r.Next(w.Data.Length)] = new[] { float.NaN, float.PositiveInfinity, float.NegativeInfinity }[r.Next(3)];
            return 0;
        })),
        new("a dimension of zero", Expect.Invalid, rng => Broken(rng, (t, r) => Replace(t, 0, new StoredTensor([0, t[0].Tensor.Shape[1]], [])))),
    ];

    static Case Make(Class c, int seed) => new($"state_dict: {c.Name}", c.Expect, c.Make(new Random(seed)), ".safetensors");

    /// <summary>FsCheck's generator: a class and a seed.</summary>
    public static Gen<Case> Generator => Gen.Elements(Classes).SelectMany(_ => Gen.Choose(0, int.MaxValue), Make);

    /// <summary>Every class with seeds 0, 1, …</summary>
    public static IEnumerable<Case> Replay(int perClass) =>
        Classes.SelectMany(c => Enumerable.Range(0, perClass).Select(seed => Make(c, seed)));
}
