using System.Numerics;
using Hybrid.Autograd;
using MathNet.Numerics.LinearAlgebra;

namespace Hybrid.Tests;

/// <summary>A user-defined activation and a user-defined layer train, save, load and predict like built-in ones; a wrong derivative is refused.</summary>
public class CustomLayerTests
{
    static double Sigma(double x) => 1 / (1 + Math.Exp(-x));

    /// <summary>Swish, x·σ(x): f′ = σ(x)·(1 + x·(1 − σ(x))).</summary>
    static readonly Activation Swish = Activation.Custom("TestSwish", x => x * Sigma(x), (x, _) => Sigma(x) * (1 + x * (1 - Sigma(x))));

    /// <summary>y = x + tanh(x·W + b): a residual layer of the input's own width.</summary>
    sealed class ResidualTanh : CustomLayer
    {
        public override string Name => "TestResidualTanh";

        public override int Outputs(int inputs) => inputs;

        public override IReadOnlyList<LayerParameter> Parameters(int inputs) =>
            [new("weight", inputs, inputs), new("bias", 1, inputs, WeightInit.Zeros)];

        public override Variable<T> Forward<T>(Variable<T> x, IReadOnlyDictionary<string, Variable<T>> p) =>
            x + x.MatMul(p["weight"]).AddRowVector(p["bias"]).Tanh();
    }

    /// <summary>A layer whose own op has a wrong backward rule (it forgets the factor 2 of d(x²)/dx).</summary>
    sealed class WrongSquare : CustomLayer
    {
        public override string Name => "TestWrongSquare";

        public override int Outputs(int inputs) => inputs;

        public override IReadOnlyList<LayerParameter> Parameters(int inputs) => [];

        public override Variable<T> Forward<T>(Variable<T> x, IReadOnlyDictionary<string, Variable<T>> p) =>
            Variable.Custom("square", [x], x.Value.PointwiseMultiply(x.Value), (g, _) => g.PointwiseMultiply(x.Value));
    }

    static readonly ResidualTanh Residual = new();

    [Fact]
    public void A_custom_activation_and_layer_train_save_load_and_predict_the_same()
    {
        LayerRegistry.Register(Swish);
        LayerRegistry.Register(Residual);
        var data = Fixtures.Blobs(300);
        var model = Network.Sequential(4).Dense(16, Swish).Layer(Residual).Dense(2)
            .Compile(Loss.SoftmaxCrossEntropy, Optimizer.Adam(0.01), seed: 2);
        var before = model.Evaluate(data).Loss;
        var history = model.Fit(data, epochs: 15, batchSize: 16);
        var evaluation = model.Evaluate(data);
        Assert.True(evaluation.Loss < before / 2, $"loss {before} → {evaluation.Loss}");
        Assert.True(evaluation.Accuracy > 0.95, $"accuracy {evaluation.Accuracy}");
        Assert.Equal(15, history.Epochs.Count);

        var summary = model.Summary();
        Assert.Equal(["Linear(4 → 16)", "TestSwish", "TestResidualTanh", "Linear(16 → 2)"], summary.Layers.Select(l => l.Layer));
        Assert.Equal(["fused", "fused", "graph", "fused"], summary.Layers.Select(l => l.Path));
        Assert.Equal(16 * 16 + 16, summary.Layers[2].Parameters);

        var path = Path.Combine(Path.GetTempPath(), $"hybrid-custom-{Guid.NewGuid():N}.safetensors");
        try
        {
            model.Save(path);
            var loaded = Network.Load(path);
            Assert.Equal(model.Layers, loaded.Layers);
            var x = data.Features();
            Assert.Equal(model.Predict(x).Probabilities.ToColumnMajorArray(), loaded.Predict(x).Probabilities.ToColumnMajorArray());
            Assert.Equal(evaluation.Loss, loaded.Evaluate(data).Loss, 1e-6);
        }
        finally
        {
            File.Delete(path);
        }
    }

    static Variable<T> SwishOps<T>(Variable<T> x) where T : struct, IFloatingPointIeee754<T> => x * x.Sigmoid();

    [Fact]
    public void An_activation_built_from_variable_ops_trains_as_its_f_and_derivative_form_does()
    {
        var fromOps = Activation.Custom("TestSwishOps", SwishOps<float>, SwishOps<double>);
        var data = Fixtures.Blobs(200);
        Model Build(Activation a) => Network.Sequential(4).Dense(16, a).Dense(2).Compile(Loss.SoftmaxCrossEntropy, Optimizer.Adam(0.01), seed: 3);
        var graph = Build(fromOps);
        var scalar = Build(Swish);
        var a = graph.Fit(data, epochs: 5, batchSize: 16);
        var b = scalar.Fit(data, epochs: 5, batchSize: 16);
        Assert.Equal(["fused", "fused", "fused"], graph.Summary().Layers.Select(l => l.Path));
        for (var e = 0; e < 5; e++) Assert.Equal(b.Epochs[e].Loss, a.Epochs[e].Loss, 1e-4);
        Assert.True(graph.Evaluate(data).Accuracy > 0.9, $"accuracy {graph.Evaluate(data).Accuracy}");

        LayerRegistry.Register(fromOps);
        var path = Path.Combine(Path.GetTempPath(), $"hybrid-swish-ops-{Guid.NewGuid():N}.safetensors");
        try
        {
            graph.Save(path);
            var loaded = Network.Load(path);
            var x = data.Features();
            Assert.Equal(graph.Predict(x).Probabilities.ToColumnMajorArray(), loaded.Predict(x).Probabilities.ToColumnMajorArray());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_wrong_derivative_is_refused_naming_the_layer()
    {
        var bad = Activation.Custom("TestBadSwish", x => x * Sigma(x), (x, _) => Sigma(x));
        var e = Assert.Throws<ArgumentException>(() => Network.Sequential(4).Dense(8, bad));
        Assert.Contains("layer 1 (TestBadSwish)", e.Message);
        Assert.Contains("finite differences", e.Message);
        var layer = Assert.Throws<ArgumentException>(() => Network.Sequential(4).Dense(8).Layer(new WrongSquare()));
        Assert.Contains("layer 1 (TestWrongSquare)", layer.Message);
        Assert.Contains("its input", layer.Message);
    }

    [Fact]
    public void A_model_naming_an_unregistered_custom_layer_is_refused_naming_it()
    {
        var model = Network.Sequential(3).Layer(new Unregistered()).Dense(2).Compile(Loss.SoftmaxCrossEntropy, Optimizer.Adam());
        var path = Path.Combine(Path.GetTempPath(), $"hybrid-unregistered-{Guid.NewGuid():N}.safetensors");
        try
        {
            model.Save(path);
            var e = Assert.Throws<InvalidDataException>(() => Network.Load(path));
            Assert.Contains("TestUnregistered", e.Message);
            Assert.Contains("LayerRegistry.Register", e.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    sealed class Unregistered : CustomLayer
    {
        public override string Name => "TestUnregistered";

        public override int Outputs(int inputs) => 2 * inputs;

        public override IReadOnlyList<LayerParameter> Parameters(int inputs) => [new("scale", 1, inputs)];

        public override Variable<T> Forward<T>(Variable<T> x, IReadOnlyDictionary<string, Variable<T>> p)
        {
            var scaled = x * p["scale"];
            return Variable.Custom("concat", [x, scaled], x.Value.Append(scaled.Value), (g, i) => g.SubMatrix(0, g.RowCount, i * x.Columns, x.Columns));
        }
    }
}
