using Hybrid.Training;
using MathNet.Numerics.LinearAlgebra;

namespace Hybrid.Tests;

public class DivergenceTests
{
    [Fact]
    public void An_exploding_loss_stops_training_naming_the_reason_and_keeps_the_epochs_done()
    {
        var model = Network.Sequential(4).Dense(32, Activation.ReLU).Dense(2)
            .Compile(Loss.SoftmaxCrossEntropy, Optimizer.Sgd(1e4), seed: 1);
        var e = Assert.Throws<TrainingDivergedException>(() => model.Fit(Fixtures.Blobs(200), epochs: 5, batchSize: 8));
        Assert.True(e.Reason is DivergenceReason.ExplodingLoss or DivergenceReason.NonFiniteLoss, e.Message);
        Assert.Contains($"epoch {e.Epoch}, batch {e.Batch}", e.Message);
        Assert.Equal(e.Epoch - 1, e.CompletedEpochs.Count);
    }

    [Fact]
    public void The_growth_limit_is_relative_to_the_first_samples_and_can_be_turned_off()
    {
        var watch = new Divergence(100);
        watch.Loss(1, 1, 2.0, 64, []); // 64 samples: the reference is complete, 2
        watch.Loss(1, 2, 199.0, 64, []);
        var e = Assert.Throws<TrainingDivergedException>(() => watch.Loss(1, 3, 201.0, 64, []));
        Assert.Equal(DivergenceReason.ExplodingLoss, e.Reason);
        Assert.Contains("more than 100 × the mean loss of the first 64 samples, 2,", e.Message);

        // One sample at a time: a tiny first loss does not make an ordinary one look like divergence...
        var single = new Divergence(1e4);
        single.Loss(1, 1, 1e-6, 1, []);
        single.Loss(1, 2, 1.0, 1, []);
        // ...but a leap by more than 10⁸ is caught before the reference is complete.
        Assert.Throws<TrainingDivergedException>(() => single.Loss(1, 3, 1e8, 1, []));

        var off = new Divergence(double.PositiveInfinity);
        off.Loss(1, 1, 1e-9, 64, []);
        off.Loss(1, 2, 1e30, 64, []);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Divergence(double.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Divergence(0.5));
    }

    [Fact]
    public void Non_finite_weights_stop_training_naming_the_parameter()
    {
        var good = Matrix<float>.Build.Dense(2, 2, 1f);
        var bad = Matrix<float>.Build.Dense(2, 3, 1f);
        bad[1, 2] = float.PositiveInfinity;
        Divergence.Weights([KeyValuePair.Create("0.weight", good)], 1, 4, 0.5, []);
        var e = Assert.Throws<TrainingDivergedException>(() =>
            Divergence.Weights([KeyValuePair.Create("0.weight", good), KeyValuePair.Create("2.weight", bad)], 3, 4, 0.5, []));
        Assert.Equal(DivergenceReason.NonFiniteWeights, e.Reason);
        Assert.Contains("2.weight holds ∞", e.Message.Replace("Infinity", "∞"));
        Assert.Contains("epoch 3, batch 4", e.Message);
    }
}
