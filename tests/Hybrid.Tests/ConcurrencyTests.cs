using Hybrid.Data;
using Hybrid.Training;

namespace Hybrid.Tests;

/// <summary>What one model does when several threads use it: one Fit at a time, refused cleanly; Predict and Evaluate in parallel.</summary>
public class ConcurrencyTests
{
    public static TheoryData<ProviderKind> Kinds()
    {
        var kinds = new TheoryData<ProviderKind> { ProviderKind.Managed, ProviderKind.Simd };
        if (Providers.IsAvailable(ProviderKind.OpenBlas)) kinds.Add(ProviderKind.OpenBlas);
        return kinds;
    }

    static Model Compile() =>
        Network.Sequential(4).Dense(16, Activation.ReLU).Dense(2).Compile(Loss.SoftmaxCrossEntropy, Optimizer.Adam(0.01), seed: 5);

    /// <summary>Blocks the training thread inside its first batch's progress report until released.</summary>
    sealed class Gate : IProgress<TrainingProgress>
    {
        public readonly ManualResetEventSlim Inside = new();
        public readonly ManualResetEventSlim Release = new();

        public void Report(TrainingProgress value)
        {
            if (Inside.IsSet) return;
            Inside.Set();
            Release.Wait(TimeSpan.FromSeconds(30));
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void A_second_Fit_from_another_thread_is_refused_and_the_model_trains_as_if_alone(ProviderKind kind)
    {
        Providers.Use(kind);
        try
        {
            var data = Fixtures.Blobs(200);
            var model = Compile();
            var gate = new Gate();
            var first = new Thread(() => model.Fit(data, epochs: 3, batchSize: 16, progress: gate));
            first.Start();
            Assert.True(gate.Inside.Wait(TimeSpan.FromSeconds(30)), "the first Fit did not start");

            var e = Assert.Throws<InvalidOperationException>(() => model.Fit(data, epochs: 3, batchSize: 16));
            Assert.Contains("already training on another thread", e.Message);
            Assert.Throws<InvalidOperationException>(() => model.Predict(data.Features()));
            Assert.Throws<InvalidOperationException>(() => model.Evaluate(data));
            Assert.Throws<InvalidOperationException>(() => model.Save(Fixtures.TempFile(".safetensors")));
            gate.Release.Set();
            first.Join();

            // Intact: the same weights as the same seed trained with nobody else calling.
            var alone = Compile();
            alone.Fit(data, epochs: 3, batchSize: 16);
            Assert.Equal(3, model.EpochsTrained);
            for (var i = 0; i < alone.Parameters.Count; i++)
                Assert.Equal(alone.Parameters[i].Value, model.Parameters[i].Value);
            // And free again for the next Fit.
            model.Fit(data, epochs: 1, batchSize: 16);
        }
        finally
        {
            Providers.UseBest();
        }
    }

    [Fact]
    public void Fit_from_its_own_callback_is_refused()
    {
        var model = Compile();
        var data = Fixtures.Blobs(40);
        var e = Assert.Throws<InvalidOperationException>(() => model.Fit(data, callbacks: [new Reentrant(data)]));
        Assert.Contains("already training", e.Message);
        model.Fit(data); // the guard is released when Fit ends, also by an exception
    }

    sealed class Reentrant(Dataset data) : Callback
    {
        public override bool OnEpochEnd(Model model, EpochResult result)
        {
            Assert.NotNull(model.Evaluate(data)); // reading on the training thread is allowed
            model.Fit(data);
            return true;
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Eight_threads_of_Predict_and_Evaluate_give_the_single_threaded_results(ProviderKind kind)
    {
        Providers.Use(kind);
        try
        {
            var train = Fixtures.Blobs(300);
            var test = Fixtures.Blobs(500, seed: 9);
            var model = Compile();
            model.Fit(train, epochs: 2, batchSize: 32);
            var x = test.Features();
            var expected = model.Predict(x);
            var evaluation = model.Evaluate(test, batchSize: 64);

            var failures = 0;
            var threads = Enumerable.Range(0, 8).Select(t => new Thread(() =>
            {
                for (var round = 0; round < 20; round++)
                {
                    var p = model.Predict(x);
                    var ev = model.Evaluate(test, batchSize: 64);
                    if (!p.Probabilities.Equals(expected.Probabilities) || !p.Classes.SequenceEqual(expected.Classes)
                        || ev.Loss != evaluation.Loss || ev.Accuracy != evaluation.Accuracy)
                        Interlocked.Increment(ref failures);
                }
            })).ToArray();
            foreach (var t in threads) t.Start();
            foreach (var t in threads) t.Join();
            Assert.Equal(0, failures);
        }
        finally
        {
            Providers.UseBest();
        }
    }
}
