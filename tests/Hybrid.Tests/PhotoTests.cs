using Hybrid.Data;
using Hybrid.Imaging;
using MathNet.Numerics.LinearAlgebra;
using Xunit.Abstractions;

namespace Hybrid.Tests;

/// <summary>
/// The done-when of "your own pictures": photos made from MNIST test digits (dark ink on light paper, uneven light,
/// noise, off-centre, 30–75% of the frame, RGB, half JPEG and half PNG) are classified by the README's main model
/// (784-128-10, Adam, batch 64, 5 epochs, seed 1) through the MNIST-style pipeline, and fail through the naive one.
/// </summary>
public class PhotoTests(ITestOutputHelper output)
{
    static readonly Lazy<Model> MainModel = new(() =>
    {
        var model = Network.Sequential(784).Dense(128, Activation.ReLU).Dense(10)
            .Compile(Loss.SoftmaxCrossEntropy, Optimizer.Adam(0.001), seed: 1);
        model.Fit(Fixtures.Mnist.Train, epochs: 5, batchSize: 64);
        return model;
    });

    public static Model Main => MainModel.Value;

    [Fact]
    public void Photos_of_mnist_test_digits_are_read_through_the_mnist_style_pipeline_at_95_percent_and_fail_the_naive_path()
    {
        const int count = 500;
        var test = Fixtures.Mnist.Test;
        var folder = Directory.CreateTempSubdirectory("hybrid-photos-").FullName;
        try
        {
            var files = new string[count];
            Parallel.For(0, count, i =>
            {
                var photo = SyntheticPhoto.Of(Image.FromSquare(test.Sample(i)), seed: 1000 + i);
                files[i] = Path.Combine(folder, i % 2 == 0 ? $"{i}.png" : $"{i}.jpg");
                ImageFile.Save(photo, files[i], quality: 60 + i % 36);
            });

            var prepared = new float[count][];
            var naive = new float[count][];
            Parallel.For(0, count, i =>
            {
                var image = ImageFile.Read(files[i], greyscale: true);
                prepared[i] = MnistStyle.Prepare(image, files[i]);
                naive[i] = MnistStyle.Naive(image);
            });

            var labels = test.Labels!.Take(count).ToArray();
            var good = Accuracy(prepared, labels);
            var bad = Accuracy(naive, labels);
            output.WriteLine($"{count} photos: MNIST-style pipeline {good:P2}, naive path {bad:P2}");
            Assert.True(good >= 0.95, $"MNIST-style pipeline: {good:P2} of {count} photos");
            Assert.True(bad <= 0.20, $"naive path: {bad:P2} of {count} photos");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    static double Accuracy(float[][] rows, int[] labels)
    {
        var x = Matrix<float>.Build.Dense(rows.Length, 784, (i, j) => rows[i][j]);
        var classes = Main.Predict(x).Classes;
        return classes.Where((c, i) => c == labels[i]).Count() / (double)rows.Length;
    }
}
