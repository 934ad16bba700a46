using Hybrid.Data;
using Hybrid.Training;
using MathNet.Numerics.LinearAlgebra;

namespace Hybrid.Tests;

public class TrainingTests
{
    [Fact]
    public void One_epoch_on_six_thousand_real_MNIST_digits_scores_above_85_percent()
    {
        var model = Network.Sequential(Mnist.Pixels).Dense(128, Activation.ReLU).Dense(10)
            .Compile(Loss.SoftmaxCrossEntropy, Optimizer.Adam(0.001), seed: 1);
        var history = model.Fit(Fixtures.Mnist.Train.Take(6000), epochs: 1, batchSize: 64);
        var test = model.Evaluate(Fixtures.Mnist.Test);

        Assert.Equal(60000, Fixtures.Mnist.Train.Count);
        Assert.Equal(10000, test.Count);
        Assert.True(test.Accuracy > 0.85, $"test accuracy {test.Accuracy:P2}");
        Assert.True(history.Epochs[0].Loss < 2.3, $"training loss {history.Epochs[0].Loss}");
        Assert.NotNull(test.ConfusionMatrix);
        Assert.Equal(10000, test.ConfusionMatrix.Cast<int>().Sum());
        var diagonal = Enumerable.Range(0, 10).Sum(i => test.ConfusionMatrix[i, i]);
        Assert.Equal(test.Accuracy, diagonal / 10000.0, 12);
    }

    [Fact]
    public void A_2_2_1_sigmoid_network_learns_XOR_with_plain_SGD()
    {
        var x = Matrix<float>.Build.DenseOfRowArrays([0f, 0f], [0f, 1f], [1f, 0f], [1f, 1f]);
        var y = Matrix<float>.Build.DenseOfRowArrays([0f], [1f], [1f], [0f]);
        var model = Network.Sequential(2).Dense(2, Activation.Sigmoid).Dense(1, Activation.Sigmoid)
            .Compile(Loss.MeanSquaredError, Optimizer.Sgd(2.0), seed: 0);
        model.Fit(Dataset.FromTargets(x, y), epochs: 5000, batchSize: 4);
        Assert.Equal([0, 1, 1, 0], model.Predict(x).Classes);
        Assert.Equal(1.0, model.Evaluate(Dataset.FromTargets(x, y)).Accuracy);
    }

    [Fact]
    public void The_same_seed_gives_byte_identical_saved_models()
    {
        byte[] Train()
        {
            var model = Network.Sequential(4).Dense(8, Activation.ReLU).Dropout(0.3).Dense(2)
                .Compile(Loss.SoftmaxCrossEntropy, Optimizer.Adam(0.01), seed: 42);
            model.Fit(Fixtures.Blobs(200), epochs: 3, batchSize: 16);
            var path = Fixtures.TempFile(".safetensors");
            model.Save(path);
            var bytes = File.ReadAllBytes(path);
            File.Delete(path);
            return bytes;
        }

        Assert.Equal(Train(), Train());
    }

    [Fact]
    public void A_different_seed_gives_a_different_model()
    {
        var a = Network.Sequential(4).Dense(3).Compile(Loss.SoftmaxCrossEntropy, Optimizer.Adam(), seed: 1);
        var b = Network.Sequential(4).Dense(3).Compile(Loss.SoftmaxCrossEntropy, Optimizer.Adam(), seed: 2);
        Assert.NotEqual(a.Parameters[0].Value, b.Parameters[0].Value);
    }

    [Fact]
    public void A_NaN_loss_stops_training_naming_the_epoch_and_batch()
    {
        var x = Matrix<float>.Build.Dense(8, 4, (i, j) => i == 5 ? float.NaN : 0.5f);
        var data = Dataset.FromLabels(x, [0, 1, 0, 1, 0, 1, 0, 1], 2);
        var model = Network.Sequential(4).Dense(2).Compile(Loss.SoftmaxCrossEntropy, Optimizer.Sgd(0.1), seed: 1);
        var e = Assert.Throws<TrainingDivergedException>(() => model.Fit(data, epochs: 2, batchSize: 1));
        Assert.Equal(1, e.Epoch);
        Assert.InRange(e.Batch, 1, 8);
        Assert.Contains($"epoch 1, batch {e.Batch}", e.Message);
        Assert.True(double.IsNaN(e.LossValue));
    }

    [Fact]
    public void Fit_reports_progress_after_every_batch_and_history_per_epoch()
    {
        var model = Network.Sequential(4).Dense(2).Compile(Loss.SoftmaxCrossEntropy, Optimizer.Adam(0.01), seed: 1);
        var reports = new List<TrainingProgress>();
        var history = model.Fit(Fixtures.Blobs(100), epochs: 2, batchSize: 32, validation: Fixtures.Blobs(50, seed: 9),
            progress: new Collect(reports));
        Assert.Equal(2 * 4, reports.Count); // 100 samples in batches of 32: 4 batches (the last holds 4)
        Assert.Equal([1, 2, 3, 4], reports.Take(4).Select(r => r.Batch));
        Assert.Equal(2, history.Epochs.Count);
        Assert.All(history.Epochs, e => Assert.NotNull(e.ValidationAccuracy));
        Assert.Equal(2, model.EpochsTrained);
    }

    sealed class Collect(List<TrainingProgress> into) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => into.Add(value);
    }

    [Fact]
    public void Fit_honours_cancellation()
    {
        var model = Network.Sequential(4).Dense(2).Compile(Loss.SoftmaxCrossEntropy, Optimizer.Adam(), seed: 1);
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        Assert.Throws<TrainingCanceledException>(() => model.Fit(Fixtures.Blobs(64), epochs: 5, cancellationToken: cancel.Token));
        Assert.Equal(0, model.EpochsTrained);
    }

    [Fact]
    public void Early_stopping_ends_training_when_validation_stops_improving()
    {
        // Validation labels are the training labels flipped: the better the fit, the worse the validation loss.
        var train = Fixtures.Blobs(64);
        var flipped = Dataset.FromLabels(train.Features(), train.Labels!.Select(l => 1 - l).ToArray(), 2);
        var model = Network.Sequential(4).Dense(2).Compile(Loss.SoftmaxCrossEntropy, Optimizer.Adam(0.05), seed: 1);
        var stop = new EarlyStopping(patience: 2);
        var history = model.Fit(train, epochs: 50, batchSize: 16, validation: flipped, callbacks: [stop]);
        Assert.True(history.StoppedEarly);
        Assert.Equal(1, stop.BestEpoch);
        Assert.Equal(3, history.Epochs.Count);
    }

    [Fact]
    public void A_checkpoint_saves_the_best_model_atomically()
    {
        var path = Fixtures.TempFile(".safetensors");
        var checkpoint = new ModelCheckpoint(path);
        var model = Network.Sequential(4).Dense(2).Compile(Loss.SoftmaxCrossEntropy, Optimizer.Adam(0.05), seed: 1);
        model.Fit(Fixtures.Blobs(64), epochs: 3, batchSize: 16, validation: Fixtures.Blobs(64, seed: 5), callbacks: [checkpoint]);
        Assert.True(checkpoint.Saves >= 1);
        Assert.Equal(2, Network.Load(path).Outputs);
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(path)!, $".{Path.GetFileName(path)}*.tmp"));
        File.Delete(path);
    }

    [Fact]
    public void Data_that_does_not_fit_the_model_is_refused_with_both_sizes()
    {
        var model = Network.Sequential(5).Dense(2).Compile(Loss.SoftmaxCrossEntropy, Optimizer.Adam(), seed: 1);
        var e = Assert.Throws<ArgumentException>(() => model.Fit(Fixtures.Blobs(10)));
        Assert.Contains("5 features", e.Message);
        Assert.Contains("4", e.Message);
    }

    [Fact]
    public void Predictions_are_probability_rows_and_their_argmax()
    {
        var model = Network.Sequential(4).Dense(3).Compile(Loss.SoftmaxCrossEntropy, Optimizer.Adam(), seed: 1);
        var p = model.Predict(Fixtures.Blobs(10).Features());
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(1f, p.Probabilities.Row(i).Sum(), 5);
            Assert.Equal(p.Probabilities.Row(i).MaximumIndex(), p.Classes[i]);
        }
    }

    [Fact]
    public void Schedules_set_each_epoch_learning_rate()
    {
        var model = Network.Sequential(4).Dense(2)
            .Compile(Loss.SoftmaxCrossEntropy, Optimizer.Sgd(0.1), Schedule.Step(stepSize: 1, gamma: 0.5), seed: 1);
        var history = model.Fit(Fixtures.Blobs(32), epochs: 3, batchSize: 32);
        Assert.Equal([0.1, 0.05, 0.025], history.Epochs.Select(e => e.LearningRate));
    }

    [Fact]
    public void Split_partitions_the_samples()
    {
        var data = Fixtures.Blobs(100);
        var (train, validation) = data.Split(0.8, seed: 4);
        Assert.Equal(80, train.Count);
        Assert.Equal(20, validation.Count);
        Assert.Equal(50, train.Labels!.Concat(validation.Labels!).Count(l => l == 1));
    }

    [Fact]
    public void Layer_outputs_end_with_the_models_output_and_show_each_hidden_layer()
    {
        var model = Network.Sequential(2).Dense(3, Activation.Tanh).Dense(1)
            .Compile(Loss.BinaryCrossEntropyWithLogits, Optimizer.Sgd(0.1), seed: 2);
        var x = ToyData.Moons(20).Features();
        var outputs = model.LayerOutputs(x);

        Assert.Equal(3, outputs.Count); // Linear, Tanh, Linear
        Assert.Equal(3, outputs[1].ColumnCount);
        Assert.All(outputs[1].Enumerate(), v => Assert.InRange(v, -1f, 1f));
        var w = model.Parameters.Single(p => p.Key == "0.weight").Value;
        var b = model.Parameters.Single(p => p.Key == "0.bias").Value;
        var expected = x * w.Transpose() + Matrix<float>.Build.Dense(20, 1, 1f) * b;
        Assert.True((outputs[0] - expected).FrobeniusNorm() < 1e-5);
        var probabilities = model.Predict(x).Probabilities;
        for (var i = 0; i < 20; i++) Assert.Equal(1 / (1 + Math.Exp(-outputs[2][i, 0])), probabilities[i, 0], 5);
        Assert.Throws<ArgumentException>(() => model.LayerOutputs(Matrix<float>.Build.Dense(1, 3)));
    }
}
