using Hybrid.Data;
using Hybrid.Training;

namespace Hybrid.Tests;

/// <summary>Fit compiles the training step on a scratch model before the first epoch (Model.CompileStep).</summary>
public class StepCompileTests
{
    // Two models of one seed, one trained after the step's compilation and one without it: every weight and every
    // epoch's loss and accuracy must agree bit for bit. The layers take the sparse first-layer path (MNIST pixels),
    // a hidden width above the scratch model's cap, dropout (its generator) and clipping (the second update path).
    static (Model Model, History History) Train(bool compileStep, int epochs)
    {
        var model = Network.Sequential(Mnist.Pixels).Dense(300, Activation.ReLU).Dropout(0.2).Dense(10)
            .Compile(Loss.SoftmaxCrossEntropy, Optimizer.Adam(0.001), clipNorm: 5.0, seed: 7);
        model.StepCompiled = !compileStep;
        var history = model.Fit(Fixtures.Mnist.Train.Take(640), epochs: epochs, batchSize: 64);
        return (model, history);
    }

    [Fact]
    public void Compiling_the_step_before_the_first_epoch_changes_no_number()
    {
        var (compiled, compiledHistory) = Train(compileStep: true, epochs: 2);
        var (plain, plainHistory) = Train(compileStep: false, epochs: 2);

        Assert.True(compiled.StepCompiled, "Fit compiled the step first");
        Assert.Equal(plainHistory.Epochs.Select(e => (e.Loss, e.Accuracy)), compiledHistory.Epochs.Select(e => (e.Loss, e.Accuracy)));
        Assert.Equal(plain.Parameters.Count, compiled.Parameters.Count);
        for (var i = 0; i < plain.Parameters.Count; i++)
            Assert.Equal(plain.Parameters[i].Value.AsColumnMajorArray(), compiled.Parameters[i].Value.AsColumnMajorArray());
    }

    [Fact]
    public void A_model_with_a_custom_activation_compiles_its_step_in_its_first_batch_instead()
    {
        var square = Activation.Custom("StepCompileSquare", x => x * x, (x, _) => 2 * x);
        var model = Network.Sequential(4).Dense(3, square).Dense(2)
            .Compile(Loss.SoftmaxCrossEntropy, Optimizer.Adam(0.01), seed: 1);
        model.Fit(Fixtures.Blobs(64), epochs: 1, batchSize: 16);
        Assert.False(model.StepCompiled, "the user's activation runs only when the user trains");
        Assert.Equal(1, model.EpochsTrained);
    }
}
