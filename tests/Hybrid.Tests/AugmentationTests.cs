using Hybrid.Data;

namespace Hybrid.Tests;

/// <summary>Seeded augmentation: what each change does, that it is reproducible whatever the threads, and that Fit trains with it.</summary>
public class AugmentationTests
{
    static float[] Digit(int index) => Fixtures.Mnist.Test.Sample(index).ToArray();

    static (double X, double Y, double Mass) Moments(float[] v)
    {
        double m = 0, mx = 0, my = 0;
        for (var i = 0; i < v.Length; i++)
        {
            m += v[i];
            mx += v[i] * (i % 28);
            my += v[i] * (i / 28);
        }

        return (mx / m, my / m, m);
    }

    [Fact]
    public void No_change_at_all_is_the_identity()
    {
        var none = new Augmentation { MaxShift = 0, MaxRotation = 0, MinScale = 1, MaxScale = 1, MaxThickness = 0 };
        var digit = Digit(0);
        var output = new float[784];
        none.Apply(digit, output, 28, epoch: 3, sample: 7);
        for (var i = 0; i < 784; i++) Assert.Equal(digit[i], output[i], 1e-5f);
    }

    [Fact]
    public void A_shift_moves_the_centre_of_mass_by_at_most_the_shift_and_keeps_the_ink()
    {
        var shift = new Augmentation { MaxShift = 3, MaxRotation = 0, MinScale = 1, MaxScale = 1, MaxThickness = 0 };
        var digit = Digit(1);
        var before = Moments(digit);
        var moved = 0;
        for (var s = 0; s < 50; s++)
        {
            var output = new float[784];
            shift.Apply(digit, output, 28, 1, s);
            var after = Moments(output);
            Assert.InRange(Math.Abs(after.X - before.X), 0, 3.01);
            Assert.InRange(Math.Abs(after.Y - before.Y), 0, 3.01);
            Assert.InRange(after.Mass / before.Mass, 0.97, 1.01);
            if (Math.Abs(after.X - before.X) > 0.5) moved++;
        }

        Assert.True(moved > 20, $"only {moved} of 50 shifts moved the digit by more than half a pixel");
    }

    [Fact]
    public void Thicker_strokes_hold_more_ink_and_thinner_ones_less()
    {
        var digit = Digit(2);
        var mass = Moments(digit).Mass;
        var thick = new float[784];
        var thin = new float[784];
        Augmentation.Transform(digit, thick, new float[784], 28, new Augmentation.Change(0, 0, 0, 1, 0.8));
        Augmentation.Transform(digit, thin, new float[784], 28, new Augmentation.Change(0, 0, 0, 1, -0.8));
        Assert.True(Moments(thick).Mass > 1.3 * mass);
        Assert.True(Moments(thin).Mass < 0.7 * mass);
    }

    [Fact]
    public void The_same_seed_epoch_and_sample_give_the_same_change_and_others_differ()
    {
        var a = Augmentation.Default;
        var digit = Digit(3);
        float[] Run(Augmentation aug, int epoch, int sample)
        {
            var o = new float[784];
            aug.Apply(digit, o, 28, epoch, sample);
            return o;
        }

        Assert.Equal(Run(a, 2, 5), Run(a, 2, 5));
        Assert.NotEqual(Run(a, 2, 5), Run(a, 3, 5));
        Assert.NotEqual(Run(a, 2, 5), Run(a, 2, 6));
        Assert.NotEqual(Run(a, 2, 5), Run(a with { Seed = 2 }, 2, 5));
    }

    [Fact]
    public void A_batch_is_changed_the_same_on_one_thread_as_on_two()
    {
        var data = Fixtures.Mnist.Test.Take(64);
        var order = Enumerable.Range(0, 64).Reverse().ToArray();
        float[] Batch(int threads)
        {
            var saved = Providers.Threads;
            try
            {
                Providers.Threads = threads;
                var x = new float[64 * 784];
                data.Batch(order, 0, 64, x, new float[64 * 10]);
                new Augmenter(Augmentation.Default, 784).Apply(x, 64, epoch: 2, order, 0);
                return x;
            }
            finally
            {
                Providers.Threads = saved;
            }
        }

        var one = Batch(1);
        Assert.Equal(one, Batch(2));
        // Row i is sample order[i], changed as Apply changes that sample alone.
        var alone = new float[784];
        Augmentation.Default.Apply(data.Sample(order[5]), alone, 28, 2, order[5]);
        Assert.Equal(alone, one.AsSpan(5 * 784, 784).ToArray());
    }

    [Fact]
    public void Training_with_augmentation_is_reproducible_and_still_learns()
    {
        var train = Fixtures.Mnist.Train.Take(3000);
        var test = Fixtures.Mnist.Test.Take(1000);
        byte[] Train()
        {
            var model = Network.Sequential(784).Dense(64, Activation.ReLU).Dense(10)
                .Compile(Loss.SoftmaxCrossEntropy, Optimizer.Adam(0.002), seed: 4);
            model.Fit(train, epochs: 3, batchSize: 64, augmentation: Augmentation.Default);
            Assert.True(model.Evaluate(test).Accuracy > 0.8, "a model trained on augmented digits still reads digits");
            var path = Fixtures.TempFile(".safetensors");
            model.Save(path);
            var bytes = File.ReadAllBytes(path);
            File.Delete(path);
            return bytes;
        }

        Assert.Equal(Train(), Train());
    }

    [Fact]
    public void Augmentation_changes_what_is_learned_and_refuses_images_that_are_not_square()
    {
        var train = Fixtures.Mnist.Train.Take(500);
        Model Fit(Augmentation? augmentation)
        {
            var model = Network.Sequential(784).Dense(16, Activation.ReLU).Dense(10).Compile(Loss.SoftmaxCrossEntropy, Optimizer.Adam(), seed: 1);
            model.Fit(train, epochs: 1, batchSize: 50, augmentation: augmentation);
            return model;
        }

        Assert.NotEqual(Fit(null).Parameters[0].Value.ToArray(), Fit(Augmentation.Default).Parameters[0].Value.ToArray());
        var three = Dataset.FromLabels(MathNet.Numerics.LinearAlgebra.Matrix<float>.Build.Dense(10, 3, 0.5f), Enumerable.Range(0, 10).Select(i => i % 2).ToArray(), 2);
        var small = Network.Sequential(3).Dense(2).Compile(Loss.SoftmaxCrossEntropy, Optimizer.Adam());
        var e = Assert.Throws<ArgumentException>(() => small.Fit(three, augmentation: Augmentation.Default));
        Assert.Contains("square", e.Message);
    }
}
