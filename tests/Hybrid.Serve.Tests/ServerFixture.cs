using Hybrid.Data;
using Hybrid.Serve;

namespace Hybrid.Serve.Tests;

/// <summary>
/// A server on a free localhost port over the README's main model (784-128-10, Adam, batch 64, 5 epochs, seed 1),
/// trained once for the test class; MNIST is fetched into the cache on first use.
/// </summary>
public sealed class ServerFixture : IAsyncLifetime
{
    public MnistData Mnist { get; } = Hybrid.Data.Mnist.Load();

    public Model Model { get; private set; } = null!;

    public PredictionServer Server { get; private set; } = null!;

    public HttpClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Model = Network.Sequential(784).Dense(128, Activation.ReLU).Dense(10)
            .Compile(Loss.SoftmaxCrossEntropy, Optimizer.Adam(0.001), seed: 1);
        Model.Fit(Mnist.Train, epochs: 5, batchSize: 64);
        Server = await PredictionServer.StartAsync(Model, new ServeOptions { Port = 0 });
        Client = new HttpClient { BaseAddress = Server.Address, Timeout = TimeSpan.FromSeconds(60) };
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await Server.DisposeAsync();
    }

    public static string Repository
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Hybrid.sln"))) dir = dir.Parent;
            return dir?.FullName ?? throw new InvalidOperationException("cannot find the repository (Hybrid.sln) above the test's folder.");
        }
    }
}

/// <summary>The test classes share one trained model and one server.</summary>
[CollectionDefinition("server")]
public sealed class ServerCollection : ICollectionFixture<ServerFixture>;
