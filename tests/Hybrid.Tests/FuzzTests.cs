using FsCheck;
using FsCheck.Fluent;
using Hybrid.Tests.Fuzz;
using Xunit.Abstractions;

namespace Hybrid.Tests;

/// <summary>
/// The standing fuzz suite: every reader, fed hostile files, gives a value or its documented exception naming the
/// file, within 2 s and 512 MB per case. CI runs 1,000 random cases per format (FsCheck picks each case's class and
/// seed) and the replay of the reported classes; build/fuzz.sh runs 10,000 per format (HYBRID_FUZZ_CASES).
/// Each run writes its table of outcomes to artifacts/fuzz/.
/// </summary>
public class FuzzTests(ITestOutputHelper output)
{
    static readonly Func<string, object?> LoadModel = path => Network.Load(path);
    static readonly Func<string, object?> ReadIdx = path => Core.Idx.read(path);
    static readonly Func<string, object?> ReadCsv = path => Data.Dataset.FromCsv(path);
    static readonly Func<string, object?> LoadStateDict = path => Network.Load(path, activation: Activation.ReLU);

    public static TheoryData<string> Formats => new() { "safetensors", "architecture", "checkpoint", "idx", "idx.gz", "csv", "state_dict", "safetensors-inferred" };

    static (Gen<Case> Cases, Func<string, object?> Read) Format(string name) => name switch
    {
        "safetensors" => (SafeTensorsCases.Generator(c => !SafeTensorsCases.IsModel(c)), LoadModel),
        "architecture" => (SafeTensorsCases.Generator(SafeTensorsCases.IsModel), LoadModel),
        "checkpoint" => (CheckpointCases.Generator, LoadModel),
        "idx" => (IdxCases.RawGenerator, ReadIdx),
        "csv" => (CsvCases.Generator, ReadCsv),
        "state_dict" => (StateDictCases.Generator, LoadStateDict),
        // Every hostile safetensors file again, read with an activation: a broken architecture entry sends the reader
        // to inference, so whether a case loads differs, but it must still end in a value or a named error.
        "safetensors-inferred" => (SafeTensorsCases.Generator(_ => true).Select(c => c with { Class = $"inferred: {c.Class}", Expect = Expect.Either }), LoadStateDict),
        _ => (IdxCases.GzipGenerator, ReadIdx),
    };

    void Report(string name, IReadOnlyList<Harness.Result> results, string? note = null)
    {
        var table = Harness.Table(name, results, note);
        output.WriteLine(table);
        var bad = results.Where(r => !Harness.IsGood(r.Outcome)).ToArray();
        Assert.True(bad.Length == 0, $"{bad.Length} bad outcomes of {results.Count}:\n{table}");
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void Random_hostile_files_give_a_value_or_a_named_error_within_2_s_and_512_MB(string format)
    {
        var (cases, read) = Format(format);
        var seed = Harness.Seed();
        var count = Harness.CasesPerFormat(1000);
        var sample = cases.Sample(count, new Rnd(seed), 30);
        Report($"{format}-random", Harness.RunAll(sample, read), $"FsCheck seed {seed} (HYBRID_FUZZ_SEED={seed} replays it)");
    }

    [Fact]
    public void The_reported_safetensors_classes_replay_without_a_bad_outcome()
    {
        var cases = SafeTensorsCases.Replay(perClass: 40).ToArray();
        Assert.True(cases.Length >= 2000, $"{cases.Length} replayed files");
        Report("safetensors-replay", Harness.RunAll(cases, LoadModel));
    }

    [Fact]
    public void The_checkpoint_classes_replay_without_a_bad_outcome()
    {
        var cases = CheckpointCases.Replay(perClass: 20).ToArray();
        Assert.True(cases.Length >= 400, $"{cases.Length} replayed files");
        Report("checkpoint-replay", Harness.RunAll(cases, LoadModel));
    }

    [Fact]
    public void The_CSV_classes_replay_without_a_bad_outcome()
    {
        var cases = CsvCases.Replay(perClass: 20).ToArray();
        Assert.True(cases.Length >= 300, $"{cases.Length} replayed files");
        var results = Harness.RunAll(cases, ReadCsv);
        // The classes must exercise both sides: files that load and files refused with a named error.
        Assert.Contains(results, r => r.Outcome == Fuzz.Outcome.Loaded);
        Assert.Contains(results, r => r.Outcome == Fuzz.Outcome.NamedError && r.Detail.Contains("row ", StringComparison.Ordinal) && r.Detail.Contains("column ", StringComparison.Ordinal));
        Report("csv-replay", results);
    }

    [Fact]
    public void The_state_dict_classes_replay_without_a_bad_outcome()
    {
        var cases = StateDictCases.Replay(perClass: 30).ToArray();
        var results = Harness.RunAll(cases, LoadStateDict);
        Assert.Contains(results, r => r.Outcome == Fuzz.Outcome.Loaded);
        Report("state-dict-replay", results);
    }

    [Fact]
    public void The_reported_IDX_classes_replay_without_a_bad_outcome()
    {
        var cases = IdxCases.Replay(perClass: 6).ToArray();
        Assert.True(cases.Length >= 100, $"{cases.Length} replayed files");
        Report("idx-replay", Harness.RunAll(cases, ReadIdx));
    }
}
