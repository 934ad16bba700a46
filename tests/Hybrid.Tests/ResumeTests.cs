using Hybrid.Data;
using Hybrid.IO;
using Hybrid.Training;

namespace Hybrid.Tests;

/// <summary>Checkpoints, exact resume, cancellation and the validation split.</summary>
public class ResumeTests
{
    static readonly Lazy<Dataset> digits = new(() => Fixtures.Mnist.Train.Take(1200));

    /// <summary>The weights' bits, parameter by parameter.</summary>
    static int[][] Bits(Model model) =>
        model.Parameters.Select(p => p.Value.ToColumnMajorArray().Select(BitConverter.SingleToInt32Bits).ToArray()).ToArray();

    static void SameBits(Model expected, Model actual)
    {
        var a = Bits(expected);
        var b = Bits(actual);
        Assert.Equal(a.Length, b.Length);
        for (var k = 0; k < a.Length; k++) Assert.Equal(a[k], b[k]);
    }

    static Func<Model> Mlp(Optimizer optimizer, Schedule? schedule = null, double dropout = 0.2) => () =>
        Network.Sequential(784).Dense(32, Activation.ReLU).Dropout(dropout).Dense(10)
            .Compile(Loss.SoftmaxCrossEntropy, optimizer, schedule, seed: 7);

    /// <summary>Trains 5 epochs straight, and 3, a checkpoint, a load and 2 more; returns both models.</summary>
    static (Model Straight, Model Resumed) ThreeSaveLoadTwo(Func<Model> build, Dataset data, int batchSize = 50)
    {
        var straight = build();
        straight.Fit(data, epochs: 5, batchSize: batchSize);

        var first = build();
        first.Fit(data, epochs: 3, batchSize: batchSize);
        var path = Fixtures.TempFile(".safetensors");
        try
        {
            first.SaveCheckpoint(path);
            var resumed = Network.Load(path);
            Assert.Equal(3, resumed.EpochsTrained);
            resumed.Fit(data, epochs: 2, batchSize: batchSize);
            return (straight, resumed);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Adam_three_epochs_a_checkpoint_and_two_more_give_the_weights_of_five_byte_for_byte()
    {
        var (straight, resumed) = ThreeSaveLoadTwo(Mlp(Optimizer.Adam(0.002)), digits.Value);
        SameBits(straight, resumed);
        Assert.Equal(5, resumed.EpochsTrained);
        Assert.Equal(straight.TrainingHistory.Select(r => r.Loss), resumed.TrainingHistory.Select(r => r.Loss));
        Assert.Equal("adam(lr=0.002, betas=(0.9, 0.999), weight_decay=0)", resumed.Optimizer.Description);
    }

    [Fact]
    public void Sgd_with_momentum_under_a_cosine_schedule_resumes_byte_for_byte()
    {
        var (straight, resumed) = ThreeSaveLoadTwo(Mlp(Optimizer.Momentum(0.05, 0.9), Schedule.Cosine(5, 0.001)), digits.Value);
        SameBits(straight, resumed);
        Assert.Equal("cosine(epochs=5, min=0.001)", resumed.Schedule.Description);
        Assert.Equal(straight.TrainingHistory.Select(r => r.LearningRate), resumed.TrainingHistory.Select(r => r.LearningRate));
        Assert.True(resumed.TrainingHistory[4].LearningRate < resumed.TrainingHistory[0].LearningRate);
    }

    [Fact]
    public void The_graph_step_resumes_byte_for_byte_under_rmsprop_clipping_and_a_plateau_schedule()
    {
        // Binary cross-entropy on a sigmoid output is trained by the graph, not the fused step.
        Model Build() => Network.Sequential(4).Dense(8, Activation.Tanh).Dense(1, Activation.Sigmoid)
            .Compile(Loss.BinaryCrossEntropy, Optimizer.RmsProp(0.01, momentum: 0.5), Schedule.ReduceOnPlateau(0.5, patience: 0), clipNorm: 0.5, seed: 3);
        var x = Fixtures.Blobs(96).Features();
        var data = Dataset.FromBinaryLabels(x, Fixtures.Blobs(96).Labels!.ToArray());
        var (straight, resumed) = ThreeSaveLoadTwo(Build, data, batchSize: 8);
        SameBits(straight, resumed);
        Assert.Equal(straight.TrainingHistory.Select(r => r.LearningRate), resumed.TrainingHistory.Select(r => r.LearningRate));
    }

    [Fact]
    public void Without_the_training_state_the_same_run_does_not_resume_exactly()
    {
        // The control for the tests above: a plain Save loses the optimizer's moments, so the weights differ.
        var data = digits.Value;
        var straight = Mlp(Optimizer.Adam(0.002))();
        straight.Fit(data, epochs: 5, batchSize: 50);
        var first = Mlp(Optimizer.Adam(0.002))();
        first.Fit(data, epochs: 3, batchSize: 50);
        var path = Fixtures.TempFile(".safetensors");
        first.Save(path);
        var reloaded = Network.Load(path, Optimizer.Adam(0.002));
        File.Delete(path);
        Assert.Equal(0, reloaded.EpochsTrained);
        reloaded.Fit(data, epochs: 2, batchSize: 50);
        Assert.NotEqual(Bits(straight)[0], Bits(reloaded)[0]);
    }

    [Fact]
    public void A_checkpoint_keeps_epochs_history_seed_and_optimizer_and_plain_save_stays_a_state_dict()
    {
        var model = Mlp(Optimizer.Sgd(0.05, momentum: 0.9, nesterov: true, weightDecay: 1e-4), Schedule.Warmup(2, 0.5, Schedule.Step(2, 0.5)))();
        var history = model.Fit(digits.Value, epochs: 2, batchSize: 100, validationSplit: 0.1);
        var path = Fixtures.TempFile(".safetensors");
        var plain = Fixtures.TempFile(".safetensors");
        try
        {
            model.SaveCheckpoint(path);
            model.Save(plain);
            var loaded = Network.Load(path);
            Assert.Equal(2, loaded.EpochsTrained);
            Assert.Equal(7, loaded.Seed);
            Assert.Equal(model.Optimizer.Description, loaded.Optimizer.Description);
            Assert.Equal(model.Schedule.Description, loaded.Schedule.Description);
            Assert.Equal(history.Epochs, loaded.TrainingHistory);
            var (tensors, metadata) = SafeTensors.Read(path);
            Assert.Contains("optimizer.0.weight.momentum_buffer", tensors.Keys);
            Assert.Equal([32, 784], tensors["optimizer.0.weight.momentum_buffer"].Shape);
            Assert.Equal([10], tensors["optimizer.3.bias.momentum_buffer"].Shape);
            Assert.Contains(Checkpoint.TrainingKey, metadata.Keys);
            var (plainTensors, plainMetadata) = SafeTensors.Read(plain);
            Assert.Equal(["0.bias", "0.weight", "3.bias", "3.weight"], plainTensors.Keys.Order(StringComparer.Ordinal));
            Assert.DoesNotContain(Checkpoint.TrainingKey, plainMetadata.Keys);
        }
        finally
        {
            File.Delete(path);
            File.Delete(plain);
        }
    }

    [Fact]
    public void Another_optimizer_on_load_keeps_the_epochs_but_starts_its_buffers_afresh()
    {
        var model = Mlp(Optimizer.Adam(0.002))();
        model.Fit(digits.Value.Take(300), epochs: 2, batchSize: 50);
        var path = Fixtures.TempFile(".safetensors");
        model.SaveCheckpoint(path);
        var loaded = Network.Load(path, Optimizer.Sgd(0.01));
        File.Delete(path);
        Assert.Equal(2, loaded.EpochsTrained);
        Assert.Equal("sgd(lr=0.01, momentum=0, nesterov=False, weight_decay=0)", loaded.Optimizer.Description);
        loaded.Fit(digits.Value.Take(300), epochs: 1, batchSize: 50);
        Assert.Equal(3, loaded.EpochsTrained);
    }

    [Fact]
    public void A_checkpoint_with_a_damaged_buffer_or_field_is_refused_naming_the_file_and_the_field()
    {
        var model = Mlp(Optimizer.Adam(0.002))();
        model.Fit(digits.Value.Take(200), epochs: 1, batchSize: 50);
        var path = Fixtures.TempFile(".safetensors");
        try
        {
            model.SaveCheckpoint(path);
            var (tensors, metadata) = SafeTensors.Read(path);

            var squares = tensors.ToDictionary();
            var t = squares["optimizer.0.weight.exp_avg_sq"];
            var data = (float[])t.Data.Clone();
            data[5] = -1f;
            squares["optimizer.0.weight.exp_avg_sq"] = new StoredTensor(t.Shape, data);
            SafeTensors.Write(path, squares.ToArray(), metadata);
            var e = Assert.Throws<InvalidDataException>(() => Network.Load(path));
            Assert.Contains(path, e.Message);
            Assert.Contains("optimizer.0.weight.exp_avg_sq", e.Message);
            Assert.Contains("element 5 is -1", e.Message);

            var transposed = tensors.ToDictionary();
            transposed["optimizer.0.weight.exp_avg"] = new StoredTensor([784, 32], new float[784 * 32]);
            SafeTensors.Write(path, transposed.ToArray(), metadata);
            e = Assert.Throws<InvalidDataException>(() => Network.Load(path));
            Assert.Contains("[784, 32], but '0.weight' is [32, 784]", e.Message);

            var fields = metadata.ToDictionary();
            fields[Checkpoint.TrainingKey] = fields[Checkpoint.TrainingKey].Replace("\"type\":\"adam\"", "\"type\":\"lbfgs\"", StringComparison.Ordinal);
            SafeTensors.Write(path, tensors.ToArray(), fields);
            e = Assert.Throws<InvalidDataException>(() => Network.Load(path));
            Assert.Contains("'optimizer' 'type'", e.Message);
            Assert.Contains("lbfgs", e.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Model_checkpoint_writes_checkpoints_that_resume_from_the_epoch_saved()
    {
        var path = Fixtures.TempFile(".safetensors");
        try
        {
            var data = digits.Value;
            var straight = Mlp(Optimizer.Adam(0.002))();
            straight.Fit(data, epochs: 3, batchSize: 50);
            var checkpointed = Mlp(Optimizer.Adam(0.002))();
            var checkpoint = new ModelCheckpoint(path, saveBestOnly: false, monitor: Hybrid.Training.Monitor.Loss);
            checkpointed.Fit(data, epochs: 2, batchSize: 50, callbacks: [checkpoint]);
            Assert.Equal(2, checkpoint.Saves);
            Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(path)!, $".{Path.GetFileName(path)}*.tmp"));
            var resumed = Network.Load(path);
            resumed.Fit(data, epochs: 1, batchSize: 50);
            SameBits(straight, resumed);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_cancelled_fit_carries_the_finished_epochs_and_leaves_the_model_at_the_last_of_them()
    {
        var data = digits.Value;
        var twoEpochs = Mlp(Optimizer.Adam(0.002))();
        twoEpochs.Fit(data, epochs: 2, batchSize: 50);
        var fiveEpochs = Mlp(Optimizer.Adam(0.002))();
        fiveEpochs.Fit(data, epochs: 5, batchSize: 50);

        // Cancelled from the progress handler in the middle of epoch 3, after some of its batches have updated the weights.
        var model = Mlp(Optimizer.Adam(0.002))();
        using var cancel = new CancellationTokenSource();
        var progress = new Inline(p =>
        {
            if (p.Epoch == 3 && p.Batch == 10) cancel.Cancel();
        });
        var e = Assert.Throws<TrainingCanceledException>(() =>
            model.Fit(data, epochs: 5, batchSize: 50, progress: progress, cancellationToken: cancel.Token));
        Assert.Equal([1, 2], e.CompletedEpochs.Select(r => r.Epoch));
        Assert.Equal(twoEpochs.TrainingHistory.Select(r => r.Loss), e.History.Epochs.Select(r => r.Loss));
        Assert.Equal(2, model.EpochsTrained);
        Assert.Equal(cancel.Token, e.CancellationToken);
        SameBits(twoEpochs, model);

        // The cancelled epoch left no trace: three more epochs give the weights of five straight.
        model.Fit(data, epochs: 3, batchSize: 50);
        SameBits(fiveEpochs, model);
    }

    [Fact]
    public void A_fit_cancelled_before_it_starts_is_an_operation_cancelled_with_no_epochs()
    {
        var model = Network.Sequential(4).Dense(2).Compile(Loss.SoftmaxCrossEntropy, Optimizer.Adam(), seed: 1);
        var before = Bits(model);
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        var e = Assert.ThrowsAny<OperationCanceledException>(() => model.Fit(Fixtures.Blobs(64), epochs: 5, cancellationToken: cancel.Token));
        Assert.Empty(Assert.IsType<TrainingCanceledException>(e).CompletedEpochs);
        Assert.Equal(before, Bits(model));
    }

    sealed class Inline(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }

    [Fact]
    public void The_seeded_generator_draws_what_System_Random_draws_and_resumes_from_its_state()
    {
        foreach (var seed in new[] { 0, 1, -5, 7919 * 7 + 1, int.MaxValue, int.MinValue })
        {
            var reference = new Random(seed);
            var ours = new SeededRandom(seed);
            for (var i = 0; i < 500; i++)
            {
                Assert.Equal(reference.NextDouble(), ours.NextDouble());
                Assert.Equal(reference.Next(i + 1), ours.Next(i + 1));
                Assert.Equal(reference.Next(), ours.Next());
                Assert.Equal(reference.Next(-i, 3 * i + 1), ours.Next(-i, 3 * i + 1));
                Assert.Equal(reference.Next(int.MinValue, int.MaxValue), ours.Next(int.MinValue, int.MaxValue));
            }

            var state = ours.State;
            var copy = new SeededRandom(12345);
            Assert.Null(copy.Restore(state));
            Assert.Equal(Enumerable.Range(0, 100).Select(_ => ours.NextDouble()), Enumerable.Range(0, 100).Select(_ => copy.NextDouble()));
        }
    }

    [Fact]
    public void A_generator_state_that_no_generator_can_have_is_refused()
    {
        var good = new SeededRandom(1).State;
        Assert.Contains("57 numbers", new SeededRandom(1).Restore(good[..57]));
        var negative = (int[])good.Clone();
        negative[3] = -1;
        Assert.Contains("word 3", new SeededRandom(1).Restore(negative));
        var apart = (int[])good.Clone();
        apart[57] = 30;
        Assert.Contains("21 apart", new SeededRandom(1).Restore(apart));
    }

    [Fact]
    public void A_validation_split_is_stratified_seeded_and_disjoint_from_the_training_part()
    {
        var data = digits.Value;
        var (held, rest) = data.StratifiedSplit(0.1, seed: 4);
        Assert.Equal(data.Count, held.Count + rest.Count);
        var counts = data.Labels!.GroupBy(l => l).ToDictionary(g => g.Key, g => g.Count());
        foreach (var (label, count) in counts)
            Assert.Equal((int)Math.Round(count * 0.1, MidpointRounding.AwayFromZero), held.Labels!.Count(l => l == label));

        // Every sample is in exactly one part: the parts' rows together are the data's rows.
        static string Row(Dataset d, int i) => Convert.ToBase64String(System.Runtime.InteropServices.MemoryMarshal.AsBytes(d.Sample(i)));
        var all = Enumerable.Range(0, data.Count).Select(i => Row(data, i)).Order().ToArray();
        var parts = Enumerable.Range(0, held.Count).Select(i => Row(held, i)).Concat(Enumerable.Range(0, rest.Count).Select(i => Row(rest, i))).Order().ToArray();
        Assert.Equal(all, parts);

        var again = data.StratifiedSplit(0.1, seed: 4).First;
        Assert.Equal(Enumerable.Range(0, held.Count).Select(i => Row(held, i)), Enumerable.Range(0, again.Count).Select(i => Row(again, i)));
        var other = data.StratifiedSplit(0.1, seed: 5).First;
        Assert.NotEqual(Enumerable.Range(0, held.Count).Select(i => Row(held, i)), Enumerable.Range(0, other.Count).Select(i => Row(other, i)));
    }

    [Fact]
    public void Fit_with_a_validation_split_trains_only_on_the_rest_and_reports_the_held_out_part()
    {
        var data = digits.Value;
        var split = Mlp(Optimizer.Adam(0.002))();
        var history = split.Fit(data, epochs: 2, batchSize: 50, validationSplit: 0.2);

        // The same model trained explicitly on the rest, validated on the held-out part, is the same bit for bit.
        var explicitly = Mlp(Optimizer.Adam(0.002))();
        var (held, rest) = data.StratifiedSplit(0.2, explicitly.Seed);
        var expected = explicitly.Fit(rest, epochs: 2, batchSize: 50, validation: held);
        SameBits(explicitly, split);
        Assert.Equal(expected.Epochs.Select(r => r.ValidationAccuracy), history.Epochs.Select(r => r.ValidationAccuracy));
        Assert.All(history.Epochs, r => Assert.NotNull(r.ValidationLoss));
        Assert.Equal(split.Evaluate(held).Accuracy, history.Epochs[^1].ValidationAccuracy);
    }

    [Fact]
    public void A_validation_split_out_of_range_or_with_validation_data_is_refused()
    {
        var model = Network.Sequential(4).Dense(2).Compile(Loss.SoftmaxCrossEntropy, Optimizer.Adam(), seed: 1);
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Fit(Fixtures.Blobs(64), validationSplit: 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Fit(Fixtures.Blobs(64), validationSplit: double.NaN));
        var e = Assert.Throws<ArgumentException>(() => model.Fit(Fixtures.Blobs(64), validation: Fixtures.Blobs(8), validationSplit: 0.1));
        Assert.Contains("not both", e.Message);
        Assert.Equal(0, model.EpochsTrained);
    }
}
