using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Hybrid.Data;

namespace Hybrid.Cli;

/// <summary>
/// <c>hybrid bench mlp</c>: the MNIST MLP race protocol of ../shared/bench (run_matrix.sh): the same network, init,
/// loss and optimizer as the PyTorch and NumPy peers, training-loop time per epoch, and their final JSON line.
/// </summary>
static class BenchCommand
{
    public static Command Create()
    {
        var hidden = new Option<string>("--hidden") { Description = "Hidden layer widths, comma-separated.", DefaultValueFactory = _ => "128" };
        var batch = new Option<int>("--batch") { Description = "Mini-batch size.", DefaultValueFactory = _ => 64 };
        var epochs = new Option<int>("--epochs") { Description = "Epochs.", DefaultValueFactory = _ => 5 };
        var opt = new Option<string>("--opt") { Description = "sgd, momentum or adam.", DefaultValueFactory = _ => "adam" };
        opt.AcceptOnlyFromAmong("sgd", "momentum", "adam");
        var lr = new Option<double?>("--lr") { Description = "Learning rate (default: sgd 0.1, momentum 0.01, adam 0.001)." };
        var seed = new Option<int>("--seed") { Description = "Seed.", DefaultValueFactory = _ => 0 };
        var threads = new Option<int>("--threads") { Description = "Threads for matrix products.", DefaultValueFactory = _ => 2 };
        var blasThreads = new Option<int?>("--blas-threads") { Description = "Accepted for the protocol; --threads sets the provider's threads." };
        var tag = new Option<string>("--tag") { Description = "Label copied into the JSON line.", DefaultValueFactory = _ => "" };
        var data = new Option<DirectoryInfo?>("--data") { Description = "Folder with the four IDX files (default: the cache)." };
        var provider = ProviderOptions.Provider();

        var mlp = new Command("mlp", "Train 784-hidden-10 (ReLU, Glorot uniform, zero biases) on MNIST and print the race's JSON line.")
        {
            hidden, batch, epochs, opt, lr, seed, threads, blasThreads, tag, data, provider,
        };
        mlp.SetAction(parse =>
        {
            ProviderOptions.Apply(parse.GetValue(provider)!, parse.GetValue(threads));
            return Run(Recipe.Hidden(parse.GetValue(hidden)!), parse.GetValue(batch), parse.GetValue(epochs), parse.GetValue(opt)!,
                parse.GetValue(lr), parse.GetValue(seed), parse.GetValue(tag)!, parse.GetValue(data)?.FullName);
        });
        return new Command("bench", "Benchmarks against the PyTorch and NumPy peers.") { mlp };
    }

    static int Run(IReadOnlyList<int> hidden, int batch, int epochs, string opt, double? lr, int seed, string tag, string? data)
    {
        Checks.AtLeast("--epochs", epochs, 1);
        Checks.AtLeast("--batch", batch, 1);
        Checks.Positive("--lr", lr);
        var mnist = Mnist.Load(data, Console.Error.WriteLine);
        var rate = lr ?? opt switch { "sgd" => 0.1, "momentum" => 0.01, _ => 0.001 };
        var optimizer = opt switch
        {
            "sgd" => Optimizer.Sgd(rate),
            "momentum" => Optimizer.Momentum(rate, 0.9),
            _ => Optimizer.Adam(rate, 0.9, 0.999, 1e-8),
        };
        var builder = Network.Sequential(Mnist.Pixels);
        foreach (var h in hidden) builder = builder.Dense(h, Activation.ReLU);
        var model = builder.Dense(10).Compile(Loss.SoftmaxCrossEntropy, optimizer, seed: seed);

        var seconds = new List<double>();
        var losses = new List<double>();
        var accuracies = new List<double>();
        for (var e = 1; e <= epochs; e++)
        {
            var result = model.Fit(mnist.Train, epochs: 1, batchSize: batch).Epochs[0];
            var accuracy = model.Evaluate(mnist.Test).Accuracy;
            seconds.Add(result.Seconds);
            losses.Add(result.Loss);
            accuracies.Add(accuracy);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"epoch {e,2}  train_loss {result.Loss:F4}  epoch_s {result.Seconds:F3}  test_acc {accuracy:F4}"));
            // HYBRID_PROFILE: the fused step's phases over this epoch (Hybrid.Core's Profile), to standard error.
            if (Core.Profile.enabled) Console.Error.WriteLine(Core.Profile.report());
        }

        var median = Recipe.Median(seconds);
        var record = new Dictionary<string, object>
        {
            ["peer"] = "hybrid",
            ["tag"] = tag,
            ["arch"] = string.Join("-", new[] { Mnist.Pixels }.Concat(hidden).Append(10)),
            ["batch"] = batch,
            ["opt"] = opt,
            ["lr"] = rate,
            ["epochs"] = epochs,
            ["seed"] = seed,
            ["threads"] = Providers.Threads,
            ["epoch_s"] = seconds.Select(s => Math.Round(s, 4)).ToArray(),
            ["epoch_s_median"] = Math.Round(median, 4),
            ["epoch_s_min"] = Math.Round(seconds.Min(), 4),
            ["train_loss"] = Math.Round(losses[^1], 5),
            ["test_acc"] = Math.Round(accuracies[^1], 4),
            ["test_acc_best"] = Math.Round(accuracies.Max(), 4),
            ["blas"] = Providers.Describe(),
            ["dotnet"] = Environment.Version.ToString(),
            ["host_cpus"] = Environment.ProcessorCount,
        };
        Console.WriteLine(JsonSerializer.Serialize(record));
        return 0;
    }
}
