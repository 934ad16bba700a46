using Hybrid.Data;

namespace Hybrid.Tests;

/// <summary>Samples in and predictions out as plain arrays: float[] (one sample), ReadOnlySpan, float[][] and float[,] (row-major).</summary>
public class ArrayInputTests
{
    static Model Trained()
    {
        var model = Network.Sequential(784).Dense(32, Activation.ReLU).Dense(10).Compile(Loss.SoftmaxCrossEntropy, Optimizer.Adam(0.003), seed: 4);
        model.Fit(Fixtures.Mnist.Train.Take(3000), epochs: 2, batchSize: 64);
        return model;
    }

    static readonly Lazy<Model> model = new(Trained);

    static float[][] Rows(Dataset data) => Enumerable.Range(0, data.Count).Select(i => data.Sample(i).ToArray()).ToArray();

    [Fact]
    public void Every_array_form_predicts_what_the_matrix_form_predicts()
    {
        var test = Fixtures.Mnist.Test.Take(200);
        var expected = model.Value.Predict(test.Features());
        var rows = Rows(test);
        var grid = new float[rows.Length, 784];
        for (var i = 0; i < rows.Length; i++)
            for (var j = 0; j < 784; j++) grid[i, j] = rows[i][j];

        Assert.Equal(expected.Classes, model.Value.Predict(rows).Classes);
        Assert.Equal(expected.Classes, model.Value.Predict(grid).Classes);
        Assert.Equal(expected.ProbabilityRows(), model.Value.Predict(grid).ProbabilityRows());
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal(expected.Classes[i], model.Value.Predict(rows[i]).Classes[0]);
            // One row at a time goes through a matrix product blocked differently: the same to float rounding.
            var one = model.Value.Predict(test.Sample(i)).ProbabilityRows()[0];
            Assert.All(one.Zip(expected.ProbabilityRows()[i]), p => Assert.Equal(p.Second, p.First, 1e-6f));
        }
    }

    [Fact]
    public void Two_samples_in_one_flat_array_are_refused_with_what_to_pass_instead()
    {
        // The trap: a row-major float[] of two digits read as one column-major matrix predicted nonsense.
        var test = Fixtures.Mnist.Test;
        var flat = test.Sample(0).ToArray().Concat(test.Sample(1).ToArray()).ToArray();
        var e = Assert.Throws<ArgumentException>(() => model.Value.Predict(flat));
        Assert.Contains("1568", e.Message);
        Assert.Contains("2 samples", e.Message);
        Assert.Contains("float[][]", e.Message);
        var ragged = Rows(test.Take(3));
        ragged[2] = ragged[2][..700];
        Assert.Contains("sample 2 has 700", Assert.Throws<ArgumentException>(() => model.Value.Predict(ragged)).Message);
        Assert.Contains("783 columns", Assert.Throws<ArgumentException>(() => model.Value.Predict(new float[2, 783])).Message);
    }

    [Fact]
    public void Evaluate_on_arrays_equals_evaluate_on_the_data_set()
    {
        var test = Fixtures.Mnist.Test.Take(500);
        var expected = model.Value.Evaluate(test);
        var got = model.Value.Evaluate(Rows(test), test.Labels!);
        Assert.Equal(expected.Accuracy, got.Accuracy);
        Assert.Equal(expected.Loss, got.Loss, 12);
        Assert.Equal(expected.ConfusionMatrix, got.ConfusionMatrix);
        var one = model.Value.Evaluate(test.Sample(0).ToArray(), test.Labels![0]);
        Assert.Equal(model.Value.Predict(test.Sample(0)).Classes[0] == test.Labels[0] ? 1.0 : 0.0, one.Accuracy);
    }

    [Fact]
    public void FromArrays_holds_the_rows_in_order_and_names_a_ragged_or_unlabelled_sample()
    {
        var rows = new[] { new[] { 1f, 2f }, new[] { 3f, 4f }, new[] { 5f, 6f } };
        var data = Dataset.FromArrays(rows, [0, 2, 1]);
        Assert.Equal((3, 2, 3), (data.Count, data.FeatureCount, data.TargetCount));
        Assert.Equal(new[] { 3f, 4f }, data.Sample(1).ToArray());
        Assert.Equal(new[] { 0f, 0f, 1f }, data.Targets().Row(1).ToArray());
        var grid = Dataset.FromArrays(new float[,] { { 1, 2 }, { 3, 4 }, { 5, 6 } }, [0, 2, 1]);
        Assert.Equal(data.Features(), grid.Features());

        Assert.Contains("sample 1 has 3 features", Assert.Throws<ArgumentException>(() => Dataset.FromArrays([[1f, 2f], [1f, 2f, 3f]], [0, 1])).Message);
        Assert.Contains("2 samples but 1 labels", Assert.Throws<ArgumentException>(() => Dataset.FromArrays([[1f], [2f]], [0])).Message);
        Assert.Contains("label -1 of sample 1", Assert.Throws<ArgumentException>(() => Dataset.FromArrays([[1f], [2f]], [0, -1])).Message);
        var binary = Dataset.FromBinaryArrays([[1f], [2f]], [0, 1]);
        Assert.Equal(1, binary.TargetCount);
    }
}
