namespace Hybrid.Tests;

/// <summary>Model.Summary is a per-layer table: output widths, parameter counts, the training path and the totals.</summary>
public class SummaryTests
{
    [Fact]
    public void The_summary_lists_each_layer_with_its_width_parameters_and_path_and_the_totals()
    {
        var model = Network.Sequential(784).Dense(128, Activation.ReLU).Dropout(0.2).Dense(10)
            .Compile(Loss.SoftmaxCrossEntropy, Optimizer.Adam(0.001));
        var summary = model.Summary();
        Assert.Equal(["Linear(784 → 128)", "ReLU", "Dropout(0.2)", "Linear(128 → 10)"], summary.Layers.Select(l => l.Layer));
        Assert.Equal([128, 128, 128, 10], summary.Layers.Select(l => l.OutputWidth));
        Assert.Equal([784L * 128 + 128, 0, 0, 128L * 10 + 10], summary.Layers.Select(l => l.Parameters));
        Assert.Equal(model.ParameterCount, summary.TotalParameters);
        Assert.All(summary.Layers, l => Assert.Equal("fused", l.Path));
        var table = summary.ToString();
        Assert.Contains("Total params: 101,770", table);
        Assert.Contains("0 Linear(784 → 128)", table);
        Assert.Equal(4 + 5, table.Split('\n').Length); // header, rule, four layers, rule, totals, set-up
    }

    [Fact]
    public void Models_that_used_to_leave_the_fused_step_now_take_it()
    {
        foreach (var model in new[]
                 {
                     Network.Sequential(4).Dense(3).Activation(Activation.Softmax).Compile(Loss.CategoricalCrossEntropy, Optimizer.Adam()),
                     Network.Sequential(4).Dense(8, Activation.LeakyReLU()).Dense(1, Activation.Sigmoid).Compile(Loss.BinaryCrossEntropy, Optimizer.Adam()),
                     Network.Sequential(4).Dense(8, Activation.Softplus).Dense(1).Compile(Loss.BinaryCrossEntropyWithLogits, Optimizer.Adam()),
                 })
            Assert.True(model.Summary().AllFused, model.Summary().ToString());
    }

    [Fact]
    public void SiLU_is_built_in_on_the_fused_path_and_saves_and_loads_by_name()
    {
        var model = Network.Sequential(4).Dense(8, Activation.SiLU).Dense(2).Compile(Loss.SoftmaxCrossEntropy, Optimizer.Adam(0.01), seed: 4);
        Assert.True(model.Summary().AllFused);
        var data = Fixtures.Blobs(200);
        model.Fit(data, epochs: 10, batchSize: 16);
        Assert.True(model.Evaluate(data).Accuracy > 0.95);
        var path = Path.Combine(Path.GetTempPath(), $"hybrid-silu-{Guid.NewGuid():N}.safetensors");
        try
        {
            model.Save(path);
            var loaded = Network.Load(path);
            Assert.Equal("SiLU", loaded.Layers[1]);
            Assert.Equal(model.Predict(data).Probabilities.ToColumnMajorArray(), loaded.Predict(data).Probabilities.ToColumnMajorArray());
        }
        finally
        {
            File.Delete(path);
        }
    }
}
