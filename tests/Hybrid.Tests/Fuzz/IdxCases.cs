using System.Buffers.Binary;
using System.IO.Compression;
using FsCheck;
using FsCheck.Fluent;

namespace Hybrid.Tests.Fuzz;

/// <summary>
/// Hostile IDX files, raw and gzip-compressed: damaged magic numbers, element types and ranks, dimensions of 0,
/// 2³¹ or products past 64 bits, truncation and trailing bytes anywhere, gzip bombs (16 KB that inflate to
/// 16 MB), corrupt and truncated gzip streams. Whether a raw file (or the bytes inside a gzip one) is valid IDX is
/// decided by <see cref="IsValid"/>, a few lines written apart from the reader, so a damaged file that happens to
/// stay valid is expected to load, and nothing else is.
/// </summary>
public static class IdxCases
{
    /// <summary>The IDX rules: 00 00 08 RANK, RANK ≥ 1 big-endian dimensions in [1, 2³¹ − 1], then exactly their product of bytes.</summary>
    public static bool IsValid(byte[] b)
    {
        if (b.Length < 4 || b[0] != 0 || b[1] != 0 || b[2] != 8 || b[3] == 0) return false;
        var header = 4 + 4 * b[3];
        if (b.Length < header) return false;
        System.Numerics.BigInteger product = 1;
        for (var i = 0; i < b[3]; i++)
        {
            var d = BinaryPrimitives.ReadUInt32BigEndian(b.AsSpan(4 + 4 * i));
            if (d < 1 || d > int.MaxValue) return false;
            product *= d;
        }

        return product == b.Length - header;
    }

    static byte[] File(uint[] dims, Random rng)
    {
        long count = 1;
        foreach (var d in dims) count *= d;
        var bytes = new byte[4 + 4 * dims.Length + count];
        bytes[2] = 8;
        bytes[3] = (byte)dims.Length;
        for (var i = 0; i < dims.Length; i++) BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(4 + 4 * i), dims[i]);
        rng.NextBytes(bytes.AsSpan(4 + 4 * dims.Length));
        return bytes;
    }

    static byte[] Valid(Random rng) =>
        File(Enumerable.Range(0, rng.Next(1, 4)).Select(_ => (uint)rng.Next(1, 12)).ToArray(), rng);

    public static byte[] Gzip(byte[] raw, CompressionLevel level = CompressionLevel.Fastest)
    {
        var output = new MemoryStream();
        using (var gzip = new GZipStream(output, level, leaveOpen: true)) gzip.Write(raw);
        return output.ToArray();
    }

    // 16 MB of zeros, deflated once (about 16 KB): appended as a second gzip member, it inflates far past any small header.
    static readonly Lazy<byte[]> Bomb = new(() => Gzip(new byte[16 << 20], CompressionLevel.SmallestSize));

    /// <summary>A damage done to raw IDX bytes; whether the result is valid is then decided by <see cref="IsValid"/>.</summary>
    public sealed record Class(string Name, Func<Random, byte[]> Make);

    static Class C(string name, Func<Random, byte[]> make) => new(name, make);

    static byte[] Set(byte[] bytes, int at, byte value)
    {
        if (at < bytes.Length) bytes[at] = value;
        return bytes;
    }

    static byte[] Dims(Random rng, params uint[] dims)
    {
        var bytes = new byte[4 + 4 * dims.Length + rng.Next(0, 16)];
        bytes[2] = 8;
        bytes[3] = (byte)dims.Length;
        for (var i = 0; i < dims.Length; i++) BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(4 + 4 * i), dims[i]);
        return bytes;
    }

    public static readonly Class[] Classes =
    [
        C("valid", Valid),
        C("truncated anywhere", rng =>
        {
            var b = Valid(rng);
            return b[..rng.Next(b.Length)];
        }),
        C("trailing bytes", rng => [.. Valid(rng), .. new byte[rng.Next(1, 40)]]),
        C("magic: first bytes changed", rng => Set(Valid(rng), rng.Next(2), (byte)rng.Next(1, 256))),
        C("magic: element type changed", rng => Set(Valid(rng), 2, (byte)new[] { 0x09, 0x0B, 0x0C, 0x0D, 0x0E, 0x00, 0xFF }[rng.Next(7)])),
        C("magic: rank changed", rng => Set(Valid(rng), 3, (byte)rng.Next(256))),
        C("dimensions: zero", rng => Dims(rng, 0, (uint)rng.Next(1, 9))),
        C("dimensions: 2^31 and above", rng => Dims(rng, (uint)int.MaxValue + (uint)rng.Next(1, 1000), 1)),
        C("dimensions: product past 64 bits", rng => Dims(rng, [.. Enumerable.Repeat((uint)int.MaxValue, rng.Next(3, 40))])),
        C("dimensions: huge, with a small file", rng => Dims(rng, 60000, 28, (uint)rng.Next(28, int.MaxValue))),
        C("dimensions: 255 of them", rng => Dims(rng, [.. Enumerable.Repeat(1u, 255)])),
        C("damage: any byte changed", rng =>
        {
            var b = Valid(rng);
            b[rng.Next(b.Length)] = (byte)rng.Next(256);
            return b;
        }),
    ];

    static Case Raw(Class c, int seed)
    {
        var bytes = c.Make(new Random(seed));
        return new Case($"raw: {c.Name}", IsValid(bytes) ? Expect.Valid : Expect.Invalid, bytes);
    }

    /// <summary>The same damage inside a gzip stream, and damage to the stream itself.</summary>
    static Case Compressed(Class c, int seed)
    {
        var rng = new Random(seed);
        var raw = c.Make(rng);
        var expect = IsValid(raw) ? Expect.Valid : Expect.Invalid;
        var gz = Gzip(raw);
        // GZipStream writes nothing at all for no input: an empty raw file stays an empty file.
        switch (gz.Length < 20 ? -1 : rng.Next(6))
        {
            case 0:
                return new Case($"gz: bomb after {c.Name}", Expect.Invalid, [.. gz, .. Bomb.Value], ".gz");
            case 1:
                return new Case($"gz: stream truncated ({c.Name})", Expect.Invalid, gz[..rng.Next(2, gz.Length)], ".gz");
            case 2:
                var damaged = gz.ToArray();
                damaged[rng.Next(10, damaged.Length)] ^= (byte)rng.Next(1, 256);
                return new Case($"gz: stream damaged ({c.Name})", Expect.Either, damaged, ".gz");
            default:
                return new Case($"gz: {c.Name}", expect, gz, ".gz");
        }
    }

    /// <summary>FsCheck's generator of raw cases: a class and a seed.</summary>
    public static Gen<Case> RawGenerator => Gen.Elements(Classes).SelectMany(_ => Gen.Choose(0, int.MaxValue), Raw);

    /// <summary>FsCheck's generator of gzip cases.</summary>
    public static Gen<Case> GzipGenerator => Gen.Elements(Classes).SelectMany(_ => Gen.Choose(0, int.MaxValue), Compressed);

    /// <summary>The replay: every class with seeds 0, 1, …, raw and compressed, and the paths that are not files.</summary>
    public static IEnumerable<Case> Replay(int perClass) =>
        Classes.SelectMany(c => Enumerable.Range(0, perClass).SelectMany(seed => new[] { Raw(c, seed), Compressed(c, seed) }))
            .Concat(Harness.NotFiles(""));
}
