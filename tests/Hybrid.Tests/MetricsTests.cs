using System.Diagnostics;
using System.Text.Json;
using Hybrid.Data;
using Hybrid.Training;

namespace Hybrid.Tests;

/// <summary>A fact that needs Debian's python3-sklearn; it reports itself skipped, saying why, where scikit-learn is absent.</summary>
public sealed class SklearnFactAttribute : FactAttribute
{
    static readonly Lazy<bool> available = new(() =>
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo(TorchFactAttribute.Python, ["-c", "import sklearn"]) { RedirectStandardError = true, RedirectStandardOutput = true });
            p!.WaitForExit(60_000);
            return p.ExitCode == 0;
        }
        catch (Exception)
        {
            return false;
        }
    });

    public SklearnFactAttribute()
    {
        if (!available.Value) Skip = $"skipped: scikit-learn is not installed ({TorchFactAttribute.Python} cannot import sklearn; apt-get install -y python3-sklearn)";
    }
}

/// <summary>Evaluate's per-class precision, recall, F1 and support, and their averages, against scikit-learn's classification_report.</summary>
public class MetricsTests
{
    /// <summary>scikit-learn's report for these classes (tests/reference/classification_report.py).</summary>
    static JsonElement Sklearn(IReadOnlyList<int> truth, IReadOnlyList<int> predicted)
    {
        var input = Fixtures.TempFile(".json");
        var output = Fixtures.TempFile(".json");
        try
        {
            File.WriteAllText(input, JsonSerializer.Serialize(new { @true = truth, predicted }));
            var script = Path.Combine(AppContext.BaseDirectory, "reference", "classification_report.py");
            using var p = Process.Start(new ProcessStartInfo(TorchFactAttribute.Python, [script, input, output]) { RedirectStandardError = true })!;
            var stderr = p.StandardError.ReadToEnd();
            p.WaitForExit();
            Assert.True(p.ExitCode == 0, $"classification_report.py failed: {stderr}");
            return JsonDocument.Parse(File.ReadAllText(output)).RootElement.Clone();
        }
        finally
        {
            File.Delete(input);
            File.Delete(output);
        }
    }

    static Evaluation FromClasses(IReadOnlyList<int> truth, IReadOnlyList<int> predicted, int classes)
    {
        var m = new int[classes, classes];
        for (var i = 0; i < truth.Count; i++) m[truth[i], predicted[i]]++;
        return new Evaluation(0, truth.Zip(predicted).Count(p => p.First == p.Second) / (double)truth.Count, m, truth.Count);
    }

    static void SameAsSklearn(Evaluation e, JsonElement report)
    {
        const double tolerance = 1e-6;
        var names = report.EnumerateObject().Select(p => p.Name).Where(n => int.TryParse(n, out _)).Select(int.Parse).Order().ToArray();
        Assert.Equal(names, e.PerClass.Select(c => c.Class));
        foreach (var c in e.PerClass)
        {
            var r = report.GetProperty(c.Class.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(r.GetProperty("precision").GetDouble(), c.Precision, tolerance);
            Assert.Equal(r.GetProperty("recall").GetDouble(), c.Recall, tolerance);
            Assert.Equal(r.GetProperty("f1-score").GetDouble(), c.F1, tolerance);
            Assert.Equal(r.GetProperty("support").GetDouble(), c.Support);
        }

        foreach (var (name, average) in new[] { ("macro avg", e.MacroAverage!), ("weighted avg", e.WeightedAverage!) })
        {
            var r = report.GetProperty(name);
            Assert.Equal(r.GetProperty("precision").GetDouble(), average.Precision, tolerance);
            Assert.Equal(r.GetProperty("recall").GetDouble(), average.Recall, tolerance);
            Assert.Equal(r.GetProperty("f1-score").GetDouble(), average.F1, tolerance);
            Assert.Equal(r.GetProperty("support").GetDouble(), average.Support);
        }

        Assert.Equal(report.GetProperty("accuracy").GetDouble(), e.Accuracy, tolerance);
    }

    [SklearnFact]
    public void Random_classes_with_a_class_never_predicted_and_one_never_true_match_scikit_learn()
    {
        var rng = new Random(11);
        // Seven classes: 5 is never predicted (zero division in precision), 6 is predicted but never true (in recall),
        // and a column of the matrix beyond them (class 7) occurs in neither, so it is left out as scikit-learn does.
        var truth = Enumerable.Range(0, 700).Select(_ => rng.Next(6)).ToArray();
        var predicted = truth.Select(t => rng.NextDouble() < 0.6 ? (t == 5 ? 0 : t) : new[] { 0, 1, 2, 3, 4, 6 }[rng.Next(6)]).ToArray();
        var e = FromClasses(truth, predicted, 8);
        Assert.Equal(7, e.PerClass.Count);
        Assert.Equal(0, e.PerClass.Single(c => c.Class == 5).Precision);
        Assert.Equal(0, e.PerClass.Single(c => c.Class == 6).Recall);
        SameAsSklearn(e, Sklearn(truth, predicted));
    }

    [SklearnFact]
    public void A_trained_MNIST_model_s_report_matches_scikit_learn()
    {
        var model = Network.Sequential(784).Dense(32, Activation.ReLU).Dense(10).Compile(Loss.SoftmaxCrossEntropy, Optimizer.Adam(0.002), seed: 2);
        model.Fit(Fixtures.Mnist.Train.Take(4000), epochs: 1, batchSize: 64);
        var test = Fixtures.Mnist.Test;
        var e = model.Evaluate(test);
        Assert.Equal(10, e.PerClass.Count);
        SameAsSklearn(e, Sklearn(test.Labels!, model.Predict(test).Classes));
    }

    [SklearnFact]
    public void A_one_output_binary_model_counts_each_side_of_its_threshold()
    {
        var blobs = Fixtures.Blobs(400);
        var data = Dataset.FromBinaryArrays(Enumerable.Range(0, blobs.Count).Select(i => blobs.Sample(i).ToArray()).ToArray(), blobs.Labels!);
        var model = Network.Sequential(4).Dense(1).Compile(Loss.BinaryCrossEntropyWithLogits, Optimizer.Sgd(0.01), seed: 3);
        model.Fit(data, epochs: 1, batchSize: 200);
        var logits = model.Predict(data.Features());
        var predicted = Enumerable.Range(0, data.Count).Select(i => model.LayerOutputs(data.Features())[^1][i, 0] > 0 ? 1 : 0).ToArray();
        Assert.Equal(predicted, logits.Classes);
        var e = model.Evaluate(data);
        Assert.Equal(predicted.Zip(data.Labels!).Count(p => p.First == p.Second) / 400.0, e.Accuracy);
        Assert.InRange(e.Accuracy, 0.05, 0.999); // one SGD step at a small rate: neither side is all right, so both are counted
        SameAsSklearn(e, Sklearn(data.Labels!, predicted));
    }

    [Fact]
    public void A_sigmoid_per_class_under_binary_cross_entropy_still_has_an_accuracy_with_labels()
    {
        var data = Fixtures.Blobs(200);
        var model = Network.Sequential(4).Dense(2, Activation.Sigmoid).Compile(Loss.BinaryCrossEntropy, Optimizer.Adam(0.05), seed: 1);
        model.Fit(data, epochs: 5, batchSize: 20);
        var e = model.Evaluate(data);
        var classes = model.Predict(data.Features()).Classes;
        Assert.Equal(classes.Zip(data.Labels!).Count(p => p.First == p.Second) / 200.0, e.Accuracy);
        Assert.False(double.IsNaN(e.Accuracy));
    }

    /// <summary>Three independent labels of 4-D points (which of the first three coordinates are positive), no class labels.</summary>
    static Dataset MultiLabel(int count)
    {
        var rng = new Random(5);
        var x = MathNet.Numerics.LinearAlgebra.Matrix<float>.Build.Dense(count, 4, (_, _) => (float)(rng.NextDouble() * 2 - 1));
        var y = MathNet.Numerics.LinearAlgebra.Matrix<float>.Build.Dense(count, 3, (i, j) => x[i, j] > 0 ? 1f : 0f);
        return Dataset.FromTargets(x, y);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Multi_label_outputs_under_binary_cross_entropy_have_the_accuracy_of_their_labels(bool logits)
    {
        var data = MultiLabel(300);
        var builder = Network.Sequential(4).Dense(16, Activation.Tanh);
        var model = (logits ? builder.Dense(3) : builder.Dense(3, Activation.Sigmoid))
            .Compile(logits ? Loss.BinaryCrossEntropyWithLogits : Loss.BinaryCrossEntropy, Optimizer.Adam(0.05), seed: 2);
        // One batch of the whole set: the epoch's accuracy is counted on the outputs before its only update.
        var before = model.Evaluate(data);
        var epoch = model.Fit(data, epochs: 1, batchSize: data.Count).Epochs[0];
        Assert.Equal(before.Accuracy, epoch.Accuracy, 12);
        model.Fit(data, epochs: 60, batchSize: 30);
        var after = model.Evaluate(data);
        // Each output against its own target, every label counted: the fraction of the 900 predicted right.
        var outputs = model.LayerOutputs(data.Features())[^1];
        var targets = data.Targets();
        var threshold = logits ? 0f : 0.5f;
        var right = 0;
        for (var i = 0; i < data.Count; i++)
        for (var j = 0; j < 3; j++)
            if (outputs[i, j] > threshold == targets[i, j] > 0.5f) right++;
        Assert.Equal(right / 900.0, after.Accuracy, 12);
        Assert.Null(after.ConfusionMatrix);
        Assert.InRange(before.Accuracy, 0.2, 0.8); // untrained: about half of the labels
        Assert.InRange(after.Accuracy, 0.95, 1.0); // each label is a sign, which the network learns
    }

    [Fact]
    public void A_sigmoid_per_class_with_labels_has_a_training_accuracy_too()
    {
        var data = Fixtures.Blobs(200);
        var model = Network.Sequential(4).Dense(2, Activation.Sigmoid).Compile(Loss.BinaryCrossEntropy, Optimizer.Adam(0.05), seed: 1);
        var before = model.Evaluate(data);
        var epoch = model.Fit(data, epochs: 1, batchSize: data.Count).Epochs[0];
        // The labels' accuracy (the largest output's class), as Evaluate counts it.
        Assert.Equal(before.Accuracy, epoch.Accuracy, 12);
        Assert.False(double.IsNaN(epoch.Accuracy));
    }
}
