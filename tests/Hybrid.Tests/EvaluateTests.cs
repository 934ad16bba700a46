using Hybrid.Data;
using Hybrid.Training;
using MathNet.Numerics.LinearAlgebra;

namespace Hybrid.Tests;

/// <summary>
/// Evaluate takes whole batches of 64 samples and more through the fused step's forward pass, and smaller ones (and a
/// last, partial batch) through the graph: the results must not depend on which, nor disturb the training.
/// </summary>
public class EvaluateTests
{
    static Model Mnist(int seed, bool dropout)
    {
        var builder = Network.Sequential(784).Dense(48, Activation.ReLU);
        if (dropout) builder = builder.Dropout(0.4);
        return builder.Dense(10).Compile(Loss.SoftmaxCrossEntropy, Optimizer.Adam(0.003), seed: seed);
    }

    static void SameResults(Evaluation graph, Evaluation fused)
    {
        Assert.Equal(graph.Count, fused.Count);
        Assert.Equal(graph.Accuracy, fused.Accuracy);
        Assert.Equal(graph.ConfusionMatrix, fused.ConfusionMatrix);
        // The products are blocked differently (and the first layer's are sparse): the same loss to float rounding.
        Assert.Equal(graph.Loss, fused.Loss, 1e-5 * Math.Max(1, graph.Loss));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Whole_batches_on_the_fused_pass_give_the_graphs_results_with_dropout_off(bool dropout)
    {
        var model = Mnist(5, dropout);
        model.Fit(Fixtures.Mnist.Train.Take(2000), epochs: 1, batchSize: 50);
        var test = Fixtures.Mnist.Test.Take(1030); // 4 whole batches of 250 on the fused pass, and 30 on the graph
        var graph = model.Evaluate(test, batchSize: 10);
        SameResults(graph, model.Evaluate(test, batchSize: 250));
        SameResults(graph, model.Evaluate(test)); // one batch of 1000 and one of 30
        SameResults(graph, model.Evaluate(test, batchSize: 1030));
        // Dropout is off: evaluating again gives the same numbers.
        Assert.Equal(model.Evaluate(test, batchSize: 250).Loss, model.Evaluate(test, batchSize: 250).Loss);
    }

    [Fact]
    public void Predict_on_the_fused_pass_gives_the_graphs_predictions_with_dropout_off()
    {
        var model = Mnist(6, dropout: true);
        model.Fit(Fixtures.Mnist.Train.Take(2000), epochs: 1, batchSize: 50);
        var features = Fixtures.Mnist.Test.Take(2030).Features(); // 2 batches of 1000 on the fused pass, and 30 on the graph
        var fused = model.Predict(features);
        for (var start = 0; start < features.RowCount; start += 50)
        {
            var size = Math.Min(50, features.RowCount - start); // fewer than 64 rows: the graph
            var graph = model.Predict(features.SubMatrix(start, size, 0, features.ColumnCount));
            Assert.Equal(graph.Classes, fused.Classes.Skip(start).Take(size));
            var probabilities = fused.Probabilities.SubMatrix(start, size, 0, 10);
            Assert.True((probabilities - graph.Probabilities).Enumerate().All(d => Math.Abs(d) < 1e-5f), $"rows {start}..{start + size}");
        }

        // Dropout is off: the same numbers every time.
        Assert.Equal(fused.Probabilities, model.Predict(features).Probabilities);
    }

    [Fact]
    public void Evaluating_between_epochs_leaves_the_training_as_it_was()
    {
        // The evaluation shares the training step's buffers when its batches are the same size (100 here).
        var train = Fixtures.Mnist.Train.Take(1500);
        var (a, b) = (Mnist(7, dropout: true), Mnist(7, dropout: true));
        a.Fit(train, epochs: 1, batchSize: 100);
        b.Fit(train, epochs: 1, batchSize: 100);
        b.Evaluate(train, batchSize: 100);
        b.Evaluate(Fixtures.Mnist.Test.Take(640), batchSize: 64);
        var fitA = a.Fit(train, epochs: 1, batchSize: 100).Epochs[0];
        var fitB = b.Fit(train, epochs: 1, batchSize: 100).Epochs[0];
        Assert.Equal(fitA.Loss, fitB.Loss);
        var test = Fixtures.Mnist.Test.Take(200).Features();
        Assert.Equal(a.Predict(test).ProbabilityRows(), b.Predict(test).ProbabilityRows());
    }

    [Fact]
    public void Targets_without_labels_are_counted_alike_on_both_paths()
    {
        var random = new Random(11);
        var features = Matrix<float>.Build.Dense(300, 6, (_, _) => (float)random.NextDouble() - 0.5f);
        // Several independent labels (binary accuracy per output) and one output (its class above the threshold).
        var several = Dataset.FromTargets(features, Matrix<float>.Build.Dense(300, 3, (i, j) => features[i, j] + features[i, j + 3] > 0 ? 1 : 0));
        var one = Dataset.FromTargets(features, Matrix<float>.Build.Dense(300, 1, (i, _) => features[i, 0] - features[i, 1] > 0 ? 1 : 0));
        foreach (var data in new[] { several, one })
        {
            var model = Network.Sequential(6).Dense(16, Activation.Tanh).Dense(data.TargetCount)
                .Compile(Loss.BinaryCrossEntropyWithLogits, Optimizer.Adam(0.01), seed: 3);
            model.Fit(data, epochs: 5, batchSize: 30);
            var graph = model.Evaluate(data, batchSize: 30);
            Assert.InRange(graph.Accuracy, 0.6, 1.0); // it learned something, so the counts are not all alike
            SameResults(graph, model.Evaluate(data, batchSize: 100));
        }
    }
}
