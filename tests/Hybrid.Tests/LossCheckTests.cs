using Hybrid.Training;

namespace Hybrid.Tests;

/// <summary>Compile refuses a loss that would train silently wrong on the layers, naming what to use instead; every built-in model trains on the fused path.</summary>
public class LossCheckTests
{
    [Fact]
    public void Softmax_cross_entropy_on_one_output_is_refused_naming_the_binary_losses()
    {
        var e = Assert.Throws<ArgumentException>(() => Network.Sequential(4).Dense(8, Activation.ReLU).Dense(1)
            .Compile(Loss.SoftmaxCrossEntropy, Optimizer.Adam(0.01)));
        Assert.Contains("one output", e.Message);
        Assert.Contains("Loss.BinaryCrossEntropyWithLogits", e.Message);
    }

    [Fact]
    public void A_softmax_layer_before_softmax_cross_entropy_is_refused_naming_categorical_cross_entropy()
    {
        var e = Assert.Throws<ArgumentException>(() => Network.Sequential(4).Dense(3).Activation(Activation.Softmax)
            .Compile(Loss.SoftmaxCrossEntropy, Optimizer.Adam(0.01)));
        Assert.Contains("double softmax", e.Message);
        Assert.Contains("Loss.CategoricalCrossEntropy", e.Message);
        var wrong = Assert.Throws<ArgumentException>(() => Network.Sequential(4).Dense(3)
            .Compile(Loss.CategoricalCrossEntropy, Optimizer.Adam(0.01)));
        Assert.Contains("Softmax", wrong.Message);
    }

    [Fact]
    public void A_softmax_layer_with_categorical_cross_entropy_learns_the_blobs()
    {
        var model = Network.Sequential(4).Dense(16, Activation.ReLU).Dense(2).Activation(Activation.Softmax)
            .Compile(Loss.CategoricalCrossEntropy, Optimizer.Adam(0.01), seed: 3);
        var data = Fixtures.Blobs(200);
        model.Fit(data, epochs: 20, batchSize: 16);
        Assert.True(model.Evaluate(data).Accuracy > 0.95, $"accuracy {model.Evaluate(data).Accuracy}");
    }

    [Fact]
    public void The_divergence_message_names_the_likelier_causes()
    {
        var e = new TrainingDivergedException(2, 506, double.NaN, DivergenceReason.NonFiniteLoss, "the loss is NaN", []);
        Assert.Contains("loss that does not match the last layer", e.Message);
        Assert.Contains("learning rate", e.Message);
        Assert.Contains("data out of range", e.Message);
    }
}
