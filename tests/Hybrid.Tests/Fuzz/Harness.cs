using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace Hybrid.Tests.Fuzz;

/// <summary>What a hostile input should give: a value, a named error, or either (a change the reader cannot know of, such as a flipped weight).</summary>
public enum Expect
{
    Valid,
    Invalid,
    Either,
}

/// <summary>How a case turned out. Only <see cref="Loaded"/> and <see cref="NamedError"/> are good.</summary>
public enum Outcome
{
    Loaded,
    NamedError,
    WronglyAccepted,
    WronglyRefused,
    Crash,
    Hang,
    OverMemory,
}

/// <summary>
/// One hostile input: the bytes of a file (or, through <see cref="Make"/>, a path that is not a plain file: a
/// directory, a FIFO, a device), the class it belongs to (e.g. "offsets: overlap"), and what it should give.
/// </summary>
public sealed record Case(string Class, Expect Expect, byte[] Bytes, string Extension = "", Func<string, string>? Make = null)
{
    public override string ToString() => $"{Class} ({Bytes.Length} bytes, expect {Expect})";
}

/// <summary>
/// Runs a reader over hostile cases, each on a thread of its own, and classifies the outcome: a value, or the
/// documented exception (an <see cref="InvalidDataException"/> or <see cref="FileNotFoundException"/> whose message
/// names the file), within <see cref="TimeLimit"/> and <see cref="MemoryLimit"/> bytes allocated; anything else is
/// a bad outcome. A reader added later (CSV, images, ONNX) needs only a <c>Gen&lt;Case&gt;</c> and a read function.
/// </summary>
public static class Harness
{
    public static readonly TimeSpan TimeLimit = TimeSpan.FromSeconds(2);
    public const long MemoryLimit = 512L << 20;

    public sealed record Result(Case Case, Outcome Outcome, string Detail, TimeSpan Time, long Allocated);

    /// <summary>Writes the case into <paramref name="folder"/>, reads it with <paramref name="read"/>, classifies what happened.</summary>
    public static Result Run(Case c, Func<string, object?> read, string folder, int index)
    {
        var path = c.Make is { } make ? make(folder) : Path.Combine(folder, $"case-{index}{c.Extension}");
        if (c.Make is null) File.WriteAllBytes(path, c.Bytes);
        Exception? error = null;
        long allocated = 0;
        var clock = Stopwatch.StartNew();
        var worker = new Thread(() =>
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                read(path);
            }
            catch (Exception e)
            {
                error = e;
            }

            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        }, 16 << 20)
        { IsBackground = true };
        worker.Start();
        // A case is given the limit plus a margin for a machine busy with other work; over the limit it is a hang.
        var finished = worker.Join(TimeLimit * 5);
        var time = clock.Elapsed;
        if (c.Make is null) TryDelete(path);
        if (!finished) return new Result(c, Outcome.Hang, $"no answer after {time.TotalSeconds:F1} s", time, 0);
        if (time > TimeLimit) return new Result(c, Outcome.Hang, $"took {time.TotalSeconds:F2} s", time, allocated);
        if (allocated > MemoryLimit) return new Result(c, Outcome.OverMemory, $"allocated {allocated:N0} bytes", time, allocated);
        var outcome = error switch
        {
            null => c.Expect == Expect.Invalid ? Outcome.WronglyAccepted : Outcome.Loaded,
            InvalidDataException or FileNotFoundException when error.Message.Contains(path, StringComparison.Ordinal) =>
                c.Expect == Expect.Valid ? Outcome.WronglyRefused : Outcome.NamedError,
            _ => Outcome.Crash,
        };
        var detail = error is null ? "" : $"{error.GetType().Name}: {error.Message.Replace(path, "FILE", StringComparison.Ordinal)}";
        return new Result(c, outcome, detail, time, allocated);
    }

    /// <summary>Runs every case in a fresh temporary folder; returns the results.</summary>
    public static IReadOnlyList<Result> RunAll(IEnumerable<Case> cases, Func<string, object?> read)
    {
        var folder = Path.Combine(Path.GetTempPath(), $"hybrid-fuzz-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        try
        {
            return cases.Select((c, i) => Run(c, read, folder, i)).ToArray();
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    public static bool IsGood(Outcome o) => o is Outcome.Loaded or Outcome.NamedError;

    /// <summary>
    /// A Markdown table of the outcomes per class (and totals, the slowest case and the most bytes one case allocated),
    /// with the first bad cases spelled out; also written to artifacts/fuzz/NAME.md when that folder can be found.
    /// </summary>
    public static string Table(string name, IReadOnlyList<Result> results, string? note = null)
    {
        var kinds = Enum.GetValues<Outcome>();
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"### {name}: {results.Count:N0} cases");
        text.AppendLine();
        if (note is not null) text.AppendLine(note).AppendLine();
        text.AppendLine("| class | cases | " + string.Join(" | ", kinds.Select(Header)) + " |");
        text.AppendLine("|---|---:|" + string.Concat(kinds.Select(_ => "---:|")));
        foreach (var group in results.GroupBy(r => r.Case.Class).OrderBy(g => g.Key, StringComparer.Ordinal).Append(null))
        {
            var rows = group?.ToArray() ?? results.ToArray();
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {(group is null ? "**all**" : group.Key)} | {rows.Length} | {string.Join(" | ", kinds.Select(k => rows.Count(r => r.Outcome == k)))} |");
        }

        var slowest = results.MaxBy(r => r.Time);
        var greediest = results.MaxBy(r => r.Allocated);
        text.AppendLine();
        if (slowest is not null && greediest is not null)
            text.AppendLine(CultureInfo.InvariantCulture,
                $"Slowest case {slowest.Time.TotalMilliseconds:F1} ms ({slowest.Case.Class}); most allocated by one case {greediest.Allocated / 1048576.0:F1} MB ({greediest.Case.Class}); " +
                $"process peak working set {Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0:F0} MB.");
        foreach (var bad in results.Where(r => !IsGood(r.Outcome)).Take(20))
            text.AppendLine(CultureInfo.InvariantCulture, $"- **{bad.Outcome}** {bad.Case}: {bad.Detail}");
        var table = text.ToString();
        if (ArtifactsFolder() is { } artifacts)
        {
            var folder = Path.Combine(artifacts, "fuzz");
            Directory.CreateDirectory(folder);
            File.WriteAllText(Path.Combine(folder, $"{name}.md"), table);
            var failures = Path.Combine(folder, "failures");
            foreach (var (bad, i) in results.Where(r => !IsGood(r.Outcome)).Take(20).Select((r, i) => (r, i)))
            {
                Directory.CreateDirectory(failures);
                File.WriteAllBytes(Path.Combine(failures, $"{name}-{i}{bad.Case.Extension}"), bad.Case.Bytes);
            }
        }

        return table;
    }

    static string Header(Outcome o) => o switch
    {
        Outcome.Loaded => "loaded",
        Outcome.NamedError => "named error",
        Outcome.WronglyAccepted => "bad file accepted",
        Outcome.WronglyRefused => "good file refused",
        Outcome.Crash => "crash",
        Outcome.Hang => "hang (> 2 s)",
        _ => "memory (> 512 MB)",
    };

    /// <summary>The repository's artifacts folder (beside Hybrid.sln, above the test binaries), or null.</summary>
    static string? ArtifactsFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Hybrid.sln")))
                return Path.Combine(dir.FullName, "artifacts");
        return null;
    }

    static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>How many cases per format: HYBRID_FUZZ_CASES (build/fuzz.sh sets 10,000), else the CI default.</summary>
    public static int CasesPerFormat(int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable("HYBRID_FUZZ_CASES"), out var n) && n > 0 ? n : fallback;

    /// <summary>The seed of the random cases: HYBRID_FUZZ_SEED to replay a run, else a fresh one (printed in the table's name).</summary>
    public static ulong Seed() =>
        ulong.TryParse(Environment.GetEnvironmentVariable("HYBRID_FUZZ_SEED"), out var s) ? s : (ulong)Random.Shared.NextInt64();

    [DllImport("libc", SetLastError = true, EntryPoint = "mkfifo")]
    static extern int MakeFifo([MarshalAs(UnmanagedType.LPUTF8Str)] string path, uint mode);

    /// <summary>Paths that are not regular files, each expected to give a named error without blocking or reading forever.</summary>
    public static IEnumerable<Case> NotFiles(string extension)
    {
        yield return new Case("not a file: directory", Expect.Invalid, [], extension, folder => Directory.CreateDirectory(Path.Combine(folder, $"dir{Guid.NewGuid():N}{extension}")).FullName);
        yield return new Case("not a file: missing", Expect.Invalid, [], extension, folder => Path.Combine(folder, $"missing{Guid.NewGuid():N}{extension}"));
        yield return new Case("not a file: empty", Expect.Invalid, [], extension, folder =>
        {
            var path = Path.Combine(folder, $"empty{Guid.NewGuid():N}{extension}");
            File.WriteAllBytes(path, []);
            return path;
        });
        if (!OperatingSystem.IsLinux()) yield break;
        yield return new Case("not a file: /dev/zero", Expect.Invalid, [], extension, _ => "/dev/zero");
        yield return new Case("not a file: /dev/null", Expect.Invalid, [], extension, _ => "/dev/null");
        yield return new Case("not a file: symbolic link to /dev/zero", Expect.Invalid, [], extension, folder =>
        {
            var path = Path.Combine(folder, $"link{Guid.NewGuid():N}{extension}");
            File.CreateSymbolicLink(path, "/dev/zero");
            return path;
        });
        yield return new Case("not a file: FIFO", Expect.Invalid, [], extension, folder =>
        {
            var path = Path.Combine(folder, $"fifo{Guid.NewGuid():N}{extension}");
            if (MakeFifo(path, 0x180) != 0) throw new IOException($"mkfifo {path} failed: errno {Marshal.GetLastPInvokeError()}");
            return path;
        });
    }
}
