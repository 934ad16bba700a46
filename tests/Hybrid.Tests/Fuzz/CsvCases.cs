using System.Globalization;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Hybrid.Data;

namespace Hybrid.Tests.Fuzz;

/// <summary>
/// Hostile CSV files for <see cref="Dataset.FromCsv"/> (label in column 0, no header): ragged rows, non-numbers,
/// empty fields, missing and negative labels, labels that would ask for millions of classes, fields past
/// <see cref="Dataset.MaxCsvField"/> characters, a line of megabytes, binary garbage, truncation and single bytes
/// changed anywhere. Whether a file is valid is decided by <see cref="IsValid"/>, written apart from the reader
/// (lines split on '\n', no quoting); a file with a quote in it, which the reader takes as RFC 4180 quoting, is
/// expected to give either a value or a named error.
/// </summary>
public static class CsvCases
{
    /// <summary>The rules, for unquoted text: every non-blank line has the first one's count (≥ 2) of fields, an integer label ≥ 0 below 2¹⁶ first, then finite numbers, each field at most 64 characters.</summary>
    public static bool IsValid(byte[] bytes)
    {
        var text = new UTF8Encoding(false, false).GetString(bytes);
        if (text.Length > 0 && text[0] == '\uFEFF') text = text[1..];
        var width = -1;
        var rows = 0;
        foreach (var raw in text.Replace("\r", "", StringComparison.Ordinal).Split('\n'))
        {
            if (raw.Trim().Length == 0) continue;
            var fields = raw.Split(',');
            if (width < 0) width = fields.Length;
            if (width < 2 || fields.Length != width) return false;
            if (fields.Any(f => f.Length > Dataset.MaxCsvField)) return false;
            if (!int.TryParse(fields[0].Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var label) || label < 0 || label >= Dataset.MaxCsvClasses)
                return false;
            foreach (var f in fields.Skip(1))
                if (!float.TryParse(f.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var x) || !float.IsFinite(x))
                    return false;
            rows++;
        }

        return rows > 0;
    }

    static string Number(Random rng) => rng.Next(4) switch
    {
        0 => rng.Next(256).ToString(CultureInfo.InvariantCulture),
        1 => (rng.NextDouble() * 2 - 1).ToString("R", CultureInfo.InvariantCulture),
        2 => (rng.NextDouble() * 1e-3).ToString("E3", CultureInfo.InvariantCulture),
        _ => " " + rng.Next(10).ToString(CultureInfo.InvariantCulture) + " ",
    };

    static List<string[]> Rows(Random rng)
    {
        var width = rng.Next(2, 9);
        return Enumerable.Range(0, rng.Next(1, 12))
            .Select(_ => new[] { rng.Next(10).ToString(CultureInfo.InvariantCulture) }.Concat(Enumerable.Range(1, width - 1).Select(_ => Number(rng))).ToArray())
            .ToList();
    }

    static byte[] Text(IEnumerable<string[]> rows, string end = "\n") =>
        Encoding.UTF8.GetBytes(string.Concat(rows.Select(r => string.Join(',', r) + end)));

    static byte[] Changed(Random rng, Func<List<string[]>, Random, List<string[]>> change) => Text(change(Rows(rng), rng));

    static List<string[]> SetField(List<string[]> rows, Random rng, Func<Random, string> value, bool label = false)
    {
        var r = rows[rng.Next(rows.Count)];
        r[label ? 0 : rng.Next(1, r.Length)] = value(rng);
        return rows;
    }

    public sealed record Class(string Name, Func<Random, byte[]> Make);

    static Class C(string name, Func<Random, byte[]> make) => new(name, make);

    public static readonly Class[] Classes =
    [
        C("valid", rng => Text(Rows(rng))),
        C("valid: CRLF and blank lines", rng => Text(Rows(rng), rng.Next(2) == 0 ? "\r\n" : "\n\n  \n")),
        C("valid: no final line end", rng => Text(Rows(rng))[..^1]),
        C("ragged: a row short or long", rng => Changed(rng, (rows, r) =>
        {
            var i = r.Next(rows.Count);
            rows[i] = r.Next(2) == 0 && rows[i].Length > 2 ? rows[i][..^1] : [.. rows[i], "1"];
            return rows;
        })),
        C("feature: not a number", rng => Changed(rng, (rows, r) => SetField(rows, r, g => new[] { "abc", "1.2.3", "0x10", "--1", "1,5" }[g.Next(5)]))),
        C("feature: empty", rng => Changed(rng, (rows, r) => SetField(rows, r, _ => ""))),
        C("feature: NaN or infinite", rng => Changed(rng, (rows, r) => SetField(rows, r, g => new[] { "NaN", "Infinity", "-Infinity", "1e39", "-3e40" }[g.Next(5)]))),
        C("feature: longer than 64 characters", rng => Changed(rng, (rows, r) => SetField(rows, r, g => "1" + new string('0', g.Next(64, 100_000))))),
        C("label: missing", rng => Changed(rng, (rows, r) => SetField(rows, r, g => g.Next(2) == 0 ? "" : "  ", label: true))),
        C("label: not an integer", rng => Changed(rng, (rows, r) => SetField(rows, r, g => new[] { "1.5", "x", "3e2", "99999999999" }[g.Next(4)], label: true))),
        C("label: negative", rng => Changed(rng, (rows, r) => SetField(rows, r, g => (-g.Next(1, 100)).ToString(CultureInfo.InvariantCulture), label: true))),
        C("label: millions of classes", rng => Changed(rng, (rows, r) => SetField(rows, r, g => g.Next(1 << 16, int.MaxValue).ToString(CultureInfo.InvariantCulture), label: true))),
        C("one column", rng => Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, rng.Next(1, 5)).Select(i => $"{i}\n")))),
        C("a line of megabytes", rng => Encoding.UTF8.GetBytes("1" + string.Concat(Enumerable.Repeat(",0", rng.Next(100_000, 1_000_000))) + "\n")),
        C("quotes: closed or not", rng => Changed(rng, (rows, r) => SetField(rows, r, g => new[] { "\"1\"", "\"1", "\"1\"\"\"", "\"\n2\"" }[g.Next(4)]))),
        C("binary garbage", rng =>
        {
            var b = new byte[rng.Next(0, 4096)];
            rng.NextBytes(b);
            return b;
        }),
        C("truncated anywhere", rng =>
        {
            var b = Text(Rows(rng));
            return b[..rng.Next(b.Length)];
        }),
        C("damage: any byte changed", rng =>
        {
            var b = Text(Rows(rng));
            b[rng.Next(b.Length)] = (byte)rng.Next(256);
            return b;
        }),
    ];

    static Case Make(Class c, int seed)
    {
        var bytes = c.Make(new Random(seed));
        var expect = Array.IndexOf(bytes, (byte)'"') >= 0 ? Expect.Either : IsValid(bytes) ? Expect.Valid : Expect.Invalid;
        return new Case($"csv: {c.Name}", expect, bytes, ".csv");
    }

    /// <summary>FsCheck's generator: a class and a seed.</summary>
    public static Gen<Case> Generator => Gen.Elements(Classes).SelectMany(_ => Gen.Choose(0, int.MaxValue), Make);

    /// <summary>Every class with seeds 0, 1, …</summary>
    public static IEnumerable<Case> Replay(int perClass) =>
        Classes.SelectMany(c => Enumerable.Range(0, perClass).Select(seed => Make(c, seed)));
}
