using Hybrid.Data;
using MathNet.Numerics.LinearAlgebra;

namespace Hybrid.Tests;

/// <summary>Every argument is checked on entry, with a message naming it: nonsense is refused before any work.</summary>
public class ArgumentTests
{
    static Model Small() => Network.Sequential(4).Dense(3, Activation.ReLU).Dense(2).Compile(Loss.SoftmaxCrossEntropy, Optimizer.Adam(), seed: 1);

    [Fact]
    public void Evaluate_with_a_batch_of_zero_is_refused()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Small().Evaluate(Fixtures.Blobs(10), batchSize: 0));
        Assert.Contains("batch size must be at least 1", e.Message);
    }

    [Fact]
    public void A_batch_larger_than_the_data_trains_full_batch()
    {
        var data = Fixtures.Blobs(50);
        var huge = Small();
        var full = Small();
        huge.Fit(data, epochs: 2, batchSize: 300_000_000);
        full.Fit(data, epochs: 2, batchSize: 50);
        Assert.Equal(full.Parameters[0].Value, huge.Parameters[0].Value);
        Assert.Equal(full.Evaluate(data).Loss, huge.Evaluate(data, batchSize: int.MaxValue).Loss);
    }

    [Fact]
    public void An_empty_data_set_is_refused_by_Fit_and_Evaluate()
    {
        var empty = Dataset.FromTargets(Matrix<float>.Build.Dense(0, 4), Matrix<float>.Build.Dense(0, 2));
        Assert.Contains("no samples", Assert.Throws<ArgumentException>(() => Small().Fit(empty)).Message);
        Assert.Contains("no samples", Assert.Throws<ArgumentException>(() => Small().Evaluate(empty)).Message);
        Assert.Contains("no samples", Assert.Throws<ArgumentException>(() => Small().Fit(Fixtures.Blobs(10), validation: empty)).Message);
    }

    [Fact]
    public void A_data_set_of_zero_columns_is_refused_when_it_is_made()
    {
        var e = Assert.Throws<ArgumentException>(() => Dataset.FromLabels(Matrix<float>.Build.Dense(3, 0), [0, 1, 0], 2));
        Assert.Contains("at least one feature", e.Message);
    }

    [Fact]
    public void A_network_too_large_for_memory_is_refused_naming_its_size()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            Network.Sequential(784).Dense(3_000_000, Activation.ReLU).Dense(10).Compile(Loss.SoftmaxCrossEntropy, Optimizer.Adam()));
        Assert.Contains("2,385,000,010 parameters", e.Message);
    }

    [Fact]
    public void A_network_of_too_many_layers_is_refused()
    {
        var builder = Network.Sequential(2);
        for (var i = 0; i < 5000; i++) builder = builder.Activation(Activation.ReLU);
        var e = Assert.Throws<ArgumentException>(() => builder.Dense(2).Compile(Loss.SoftmaxCrossEntropy, Optimizer.Adam()));
        Assert.Contains("5,001 layers, more than the 4,096", e.Message);
    }

    public static TheoryData<string, Func<object>> Nonsense => new()
    {
        { "clipNorm", () => Network.Sequential(4).Dense(2).Compile(Loss.SoftmaxCrossEntropy, Optimizer.Adam(), clipNorm: double.NaN) },
        { "rate", () => Network.Sequential(4).Dropout(double.NaN) },
        { "rate", () => Network.Sequential(4).Dropout(-0.5) },
        { "lr", () => Optimizer.Sgd(double.NaN) },
        { "momentum", () => Optimizer.Momentum(0.01, 5) },
        { "momentum", () => Optimizer.Sgd(0.1, -0.1) },
        { "weightDecay", () => Optimizer.Sgd(0.1, weightDecay: -1) },
        { "weightDecay", () => Optimizer.Adam(weightDecay: double.PositiveInfinity) },
        { "nesterov", () => Optimizer.Sgd(0.1, 0, nesterov: true) },
        { "beta1", () => Optimizer.Adam(beta1: 1) },
        { "beta2", () => Optimizer.AdamW(beta2: -0.1) },
        { "eps", () => Optimizer.RmsProp(eps: double.NaN) },
        { "alpha", () => Optimizer.RmsProp(alpha: 2) },
        { "gamma", () => Schedule.Exponential(-1) },
        { "gamma", () => Schedule.Step(5, double.NaN) },
        { "stepSize", () => Schedule.Step(0) },
        { "minimum", () => Schedule.Cosine(10, -5) },
        { "epochs", () => Schedule.Cosine(0) },
        { "patience", () => Schedule.ReduceOnPlateau(0.5, -1) },
        { "factor", () => Schedule.ReduceOnPlateau(1.5) },
        { "startFactor", () => Schedule.Warmup(2, 0) },
        { "epochs", () => Small().Fit(Fixtures.Blobs(10), epochs: 0) },
        { "batchSize", () => Small().Fit(Fixtures.Blobs(10), batchSize: -1) },
        { "maxLossGrowth", () => Small().Fit(Fixtures.Blobs(10), maxLossGrowth: double.NaN) },
    };

    [Theory]
    [MemberData(nameof(Nonsense))]
    public void Nonsense_arguments_are_refused_naming_the_argument(string name, Func<object> call)
    {
        var e = Assert.ThrowsAny<ArgumentOutOfRangeException>(call);
        Assert.Equal(name, e.ParamName);
    }
}
