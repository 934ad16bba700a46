using System.Diagnostics;

namespace Hybrid.Onnx.Tests;

/// <summary>
/// The two models the done-when names, trained once for the test class: the README's main model (784-128-10 ReLU,
/// Adam, batch 64) for one epoch on the 60,000 training images, and 784-512-256-10 with dropout after each hidden
/// layer for one epoch on the first 10,000. Real weights, trained in a few seconds; both well above 90% on the test set.
/// </summary>
public sealed class TrainedModels
{
    public TrainedModels()
    {
        var mnist = Fixtures.Mnist;
        var clock = Stopwatch.StartNew();
        Readme = Network.Sequential(784)
            .Dense(128, Activation.ReLU)
            .Dense(10)
            .Compile(Loss.SoftmaxCrossEntropy, Optimizer.Adam(0.001), seed: 1);
        Readme.Fit(mnist.Train, epochs: 1, batchSize: 64);
        Wide = Network.Sequential(784)
            .Dense(512, Activation.ReLU)
            .Dropout(0.2)
            .Dense(256, Activation.ReLU)
            .Dropout(0.2)
            .Dense(10)
            .Compile(Loss.SoftmaxCrossEntropy, Optimizer.Adam(0.001), seed: 2);
        Wide.Fit(mnist.Train.Take(10_000), epochs: 1, batchSize: 64);
        TrainingSeconds = clock.Elapsed.TotalSeconds;
    }

    /// <summary>784-128-10, the README's main model.</summary>
    public Model Readme { get; }

    /// <summary>784-512-256-10 with dropout.</summary>
    public Model Wide { get; }

    public double TrainingSeconds { get; }

    public Model this[string name] => name switch
    {
        "readme" => Readme,
        "wide" => Wide,
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "readme or wide"),
    };
}

/// <summary>The test classes that share the trained models, so that they are trained once.</summary>
[CollectionDefinition(Name)]
public sealed class TrainedModelsCollection : ICollectionFixture<TrainedModels>
{
    public const string Name = "trained models";
}
