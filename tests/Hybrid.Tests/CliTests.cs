using System.Diagnostics;

namespace Hybrid.Tests;

/// <summary>The <c>hybrid</c> command run as a user runs it: a process, its exit code, its output and the files it writes.</summary>
public class CliTests : IDisposable
{
    readonly string folder = Directory.CreateTempSubdirectory("hybrid-cli-").FullName;

    public void Dispose() => Directory.Delete(folder, true);

    string File(string name) => Path.Combine(folder, name);

    /// <summary>The command built beside these tests (the project reference builds it first, in the same configuration).</summary>
    static string Command()
    {
        var here = new DirectoryInfo(AppContext.BaseDirectory); // tests/Hybrid.Tests/bin/CONFIGURATION/TFM/
        var (framework, configuration) = (here.Name, here.Parent!.Name);
        var root = here;
        while (root is not null && !System.IO.File.Exists(Path.Combine(root.FullName, "Hybrid.sln"))) root = root.Parent;
        Assert.NotNull(root);
        var dll = Path.Combine(root.FullName, "src", "Hybrid.Cli", "bin", configuration, framework, "Hybrid.Cli.dll");
        Assert.True(System.IO.File.Exists(dll), $"{dll} is not built");
        return dll;
    }

    static (int Code, string Out, string Error) Run(params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Command());
        foreach (var a in arguments) start.ArgumentList.Add(a);
        start.Environment["CI"] = "true"; // plain lines, no progress bars
        using var p = Process.Start(start)!;
        var error = p.StandardError.ReadToEndAsync();
        var output = p.StandardOutput.ReadToEnd();
        Assert.True(p.WaitForExit(TimeSpan.FromMinutes(5)), $"hybrid {string.Join(' ', arguments)} did not finish");
        return (p.ExitCode, output, error.Result);
    }

    // A small run: 900 training images, 100 held out; a constant schedule, so that a run of 2 epochs then 2 more is the
    // same schedule as one of 4 (a cosine's depends on the epochs planned).
    static readonly string[] Small = ["train", "mnist", "--train-limit", "1000", "--batch", "100"];
    static readonly string[] Network = ["--hidden", "32", "--schedule", "constant", "--seed", "3"];

    [Fact]
    public void Training_resumed_from_a_checkpoint_gives_the_weights_of_training_straight_through()
    {
        var checkpoint = File("run.ckpt.safetensors");
        var first = Run([.. Small, .. Network, "--epochs", "2", "--checkpoint", checkpoint]);
        Assert.True(first.Code == 0, first.Error);
        Assert.True(System.IO.File.Exists(checkpoint));

        var resumed = Run([.. Small, "--resume", checkpoint, "--epochs", "4", "--checkpoint", checkpoint, "--save", File("resumed.safetensors")]);
        Assert.True(resumed.Code == 0, resumed.Error);
        Assert.Contains("resuming", resumed.Out);
        Assert.Contains("epoch 3/4:", resumed.Out);
        Assert.Contains("epoch 4/4:", resumed.Out);
        Assert.DoesNotContain("epoch 1/4:", resumed.Out);

        var straight = Run([.. Small, .. Network, "--epochs", "4", "--save", File("straight.safetensors")]);
        Assert.True(straight.Code == 0, straight.Error);
        Assert.Equal(System.IO.File.ReadAllBytes(File("straight.safetensors")), System.IO.File.ReadAllBytes(File("resumed.safetensors")));
        // The checkpoint was rewritten after each resumed epoch: it is at epoch 4 now.
        Assert.Equal(4, Hybrid.Network.Load(checkpoint).EpochsTrained);
    }

    [Fact]
    public void Resuming_refuses_what_would_not_continue_the_run()
    {
        var checkpoint = File("run.ckpt.safetensors");
        var model = File("model.safetensors");
        var trained = Run([.. Small, .. Network, "--epochs", "2", "--checkpoint", checkpoint, "--save", model]);
        Assert.True(trained.Code == 0, trained.Error);
        var before = System.IO.File.ReadAllBytes(checkpoint);

        // An option that defines the network or its training: the checkpoint's are used, so giving one is a mistake.
        var defining = Run([.. Small, "--resume", checkpoint, "--epochs", "4", "--hidden", "64", "--lr", "0.1"]);
        Assert.Equal(2, defining.Code);
        Assert.Contains("--hidden", defining.Error);
        Assert.Contains("--lr", defining.Error);

        // A model without training state.
        var plain = Run([.. Small, "--resume", model, "--epochs", "4"]);
        Assert.Equal(1, plain.Code);
        Assert.Contains("no training state", plain.Error);

        // --epochs is the total to reach, and the checkpoint has reached it.
        var done = Run([.. Small, "--resume", checkpoint, "--epochs", "2"]);
        Assert.Equal(1, done.Code);
        Assert.Contains("trained 2 epochs already", done.Error);

        // A file that is not there.
        var missing = Run([.. Small, "--resume", File("absent.safetensors"), "--epochs", "4"]);
        Assert.Equal(1, missing.Code);
        Assert.Contains("absent.safetensors", missing.Error);

        // The checkpoint and the model in one file: the model saved at the end would overwrite the training state.
        var same = Run([.. Small, .. Network, "--epochs", "1", "--checkpoint", model, "--save", model]);
        Assert.Equal(1, same.Code);
        Assert.Contains("name the same file", same.Error);

        // None of the refused runs touched the checkpoint.
        Assert.Equal(before, System.IO.File.ReadAllBytes(checkpoint));
    }
}
