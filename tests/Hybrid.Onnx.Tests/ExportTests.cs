using System.Globalization;
using Hybrid.Onnx.Proto;
using MathNet.Numerics.LinearAlgebra;
using Microsoft.ML.OnnxRuntime;
using Xunit.Abstractions;

namespace Hybrid.Onnx.Tests;

/// <summary>Model.ExportOnnx: what ONNX Runtime computes from the file is what Hybrid computes.</summary>
[Collection(TrainedModelsCollection.Name)]
public class ExportTests(TrainedModels trained, ITestOutputHelper output)
{
    [Theory]
    [InlineData("readme")]
    [InlineData("wide")]
    public void ONNX_Runtime_gives_Hybrids_classes_and_probabilities_on_the_10000_test_images(string name)
    {
        var model = trained[name];
        var test = Fixtures.Mnist.Test;
        var path = Fixtures.TempFile(".onnx");
        model.ExportOnnx(path);

        var hybrid = model.Predict(test);
        var features = test.Features();
        var ort = Fixtures.RunOrt(path, features, [OnnxFormat.ProbabilitiesName, OnnxFormat.OutputName]);
        var ((probabilities, shape), (logits, _)) = (ort[0], ort[1]);
        File.Delete(path);

        Assert.Equal([10_000, 10], shape);
        var ours = hybrid.Probabilities.ToRowMajorArray();
        var theirs = Fixtures.ArgMax(probabilities, 10);
        var mismatches = theirs.Where((c, i) => c != hybrid.Classes[i]).Count();
        var worst = Fixtures.MaxDifference(ours, probabilities);
        var hybridLogits = model.LayerOutputs(features)[^1].ToRowMajorArray();
        var worstLogit = Fixtures.MaxDifference(hybridLogits, logits);
        var accuracy = model.Evaluate(test).Accuracy;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{model.Description}\ntest accuracy {accuracy:P2}; ONNX Runtime {OrtEnv.Instance().GetVersionString()} on 10,000 images: " +
            $"{mismatches} class mismatches, largest probability difference {worst:E2}, largest logit difference {worstLogit:E2} " +
            $"(trained in {trained.TrainingSeconds:F1} s)"));

        Assert.True(accuracy > 0.9, $"the model should be trained (test accuracy {accuracy:P2})");
        Assert.Equal(0, mismatches);
        Assert.Equal(hybrid.Classes, Fixtures.ArgMax(logits, 10));
        Assert.True(worst <= 1e-5, $"probabilities differ by up to {worst:E2}");
    }

    /// <summary>Every layer kind Hybrid has, in one small network, on random inputs.</summary>
    static Model EveryLayer(Loss loss, int outputs) => Network.Sequential(12)
        .Dense(16, Activation.Sigmoid)
        .Dropout(0.3)
        .Dense(14, Activation.Tanh)
        .Dense(12, Activation.LeakyReLU(0.2))
        .Dense(10, Activation.Softplus)
        .Dense(8, Activation.ReLU)
        .Dense(7, Activation.SiLU)
        .Dense(6, Activation.Softmax)
        .Dense(outputs)
        .Compile(loss, Optimizer.Adam(), seed: 5);

    public static TheoryData<string> Losses => ["softmax_cross_entropy", "binary_cross_entropy_with_logits", "mean_squared_error"];

    [Theory]
    [MemberData(nameof(Losses))]
    public void Every_layer_kind_runs_in_ONNX_Runtime_as_in_Hybrid(string lossName)
    {
        var loss = Loss.Parse(lossName);
        var model = EveryLayer(loss, loss == Loss.BinaryCrossEntropyWithLogits ? 1 : 3);
        var x = Fixtures.RandomInputs(50, 12, seed: 7);
        var path = Fixtures.TempFile(".onnx");
        model.ExportOnnx(path);

        var (values, shape) = Fixtures.RunOrt(path, x);
        Assert.Equal([50, model.Outputs], shape);
        Assert.True(Fixtures.MaxDifference(model.LayerOutputs(x)[^1].ToRowMajorArray(), values) <= 1e-5);

        using var session = new InferenceSession(path);
        if (loss == Loss.MeanSquaredError)
            Assert.Equal([OnnxFormat.OutputName], session.OutputNames);
        else
        {
            Assert.Equal([OnnxFormat.OutputName, OnnxFormat.ProbabilitiesName], session.OutputNames);
            var (probabilities, _) = Fixtures.RunOrt(path, x, OnnxFormat.ProbabilitiesName);
            Assert.True(Fixtures.MaxDifference(model.Predict(x).Probabilities.ToRowMajorArray(), probabilities) <= 1e-6);
        }

        File.Delete(path);
    }

    [Fact]
    public void A_user_defined_activation_is_refused_naming_the_layer_and_the_file_is_not_written()
    {
        static double Sigma(double v) => 1 / (1 + Math.Exp(-v));
        var swish = Activation.Custom("OnnxTestSwish", v => v * Sigma(v), (v, f) => Sigma(v) + f * (1 - Sigma(v)));
        var model = Network.Sequential(4).Dense(3, swish).Dense(2).Compile(Loss.SoftmaxCrossEntropy, Optimizer.Adam(), seed: 1);
        var path = Fixtures.TempFile(".onnx");

        var error = Assert.Throws<NotSupportedException>(() => model.ExportOnnx(path));

        Assert.Contains("layer 1", error.Message);
        Assert.Contains("OnnxTestSwish", error.Message);
        Assert.False(File.Exists(path), "nothing is written for a model that cannot be exported");
    }

    [Fact]
    public void The_graph_states_its_opset_names_dynamic_batch_architecture_and_producer()
    {
        var model = trained.Wide;
        var path = Fixtures.TempFile(".onnx");
        model.ExportOnnx(path);
        var proto = ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));

        Assert.Equal(OnnxFormat.IrVersion, proto.IrVersion);
        Assert.Equal(("", 17L), (proto.OpsetImport.Single().Domain, proto.OpsetImport.Single().Version));
        Assert.Equal("Hybrid", proto.ProducerName);
        Assert.Equal("0.1.0", proto.ProducerVersion);
        // Dropout is left out: three Gemm (weights [out, in], transB = 1), two Relu, and the probabilities' Softmax.
        Assert.Equal(["Gemm", "Relu", "Gemm", "Relu", "Gemm", "Softmax"], proto.Graph.Node.Select(n => n.OpType));
        var gemm = proto.Graph.Node[0];
        Assert.Equal(["input", "0.weight", "0.bias"], gemm.Input);
        Assert.Equal(1, gemm.Attribute.Single(a => a.Name == "transB").I);
        Assert.Equal([512L, 784L], proto.Graph.Initializer.Single(t => t.Name == "0.weight").Dims);
        Assert.Equal(1L, proto.Graph.Node.Single(n => n.OpType == "Softmax").Attribute.Single(a => a.Name == "axis").I);
        var architecture = proto.MetadataProps.Single(p => p.Key == OnnxFormat.ArchitectureKey).Value;
        Assert.Contains("\"type\":\"Dropout\",\"p\":0.2", architecture);
        Assert.Equal("softmax_cross_entropy", proto.MetadataProps.Single(p => p.Key == OnnxFormat.LossKey).Value);

        using var session = new InferenceSession(path);
        var input = session.InputMetadata.Single();
        Assert.Equal(OnnxFormat.InputName, input.Key);
        Assert.Equal([-1, 784], input.Value.Dimensions);
        Assert.Equal(OnnxFormat.BatchDimension, input.Value.SymbolicDimensions[0]);
        Assert.Equal([-1, 10], session.OutputMetadata[OnnxFormat.ProbabilitiesName].Dimensions);

        // The batch dimension is free: one sample and 37 give Hybrid's values.
        foreach (var rows in new[] { 1, 37 })
        {
            var x = Fixtures.Mnist.Test.Slice(100, rows).Features();
            var (values, shape) = Fixtures.RunOrt(path, x, OnnxFormat.ProbabilitiesName);
            Assert.Equal([rows, 10], shape);
            Assert.True(Fixtures.MaxDifference(model.Predict(x).Probabilities.ToRowMajorArray(), values) <= 1e-5);
        }

        File.Delete(path);
    }

    [Fact]
    public void Exporting_twice_gives_the_same_bytes_and_leaves_no_temporary_file()
    {
        var folder = Fixtures.TempFolder();
        var first = Path.Combine(folder, "a.onnx");
        var second = Path.Combine(folder, "nested", "b.onnx");
        trained.Readme.ExportOnnx(first);
        trained.Readme.ExportOnnx(second);
        trained.Readme.ExportOnnx(second); // over an existing file
        Assert.Equal(File.ReadAllBytes(first), File.ReadAllBytes(second));
        Assert.Equal(["a.onnx", "b.onnx"], Directory.GetFiles(folder, "*", SearchOption.AllDirectories).Select(Path.GetFileName).Order());
        Directory.Delete(folder, recursive: true);
    }

    [OnnxCheckerFact]
    public void The_onnx_checker_with_full_check_passes_the_exported_files()
    {
        var folder = Fixtures.TempFolder();
        var files = new List<string>();
        void Export(string name, Model model)
        {
            var path = Path.Combine(folder, name + ".onnx");
            model.ExportOnnx(path);
            files.Add(path);
        }

        Export("readme", trained.Readme);
        Export("wide", trained.Wide);
        foreach (var loss in Losses)
            Export($"every-layer-{loss}", EveryLayer(Loss.Parse(loss), loss == "binary_cross_entropy_with_logits" ? 1 : 3));
        Export("dropout-last", Network.Sequential(3).Dense(2).Dropout(0.5).Compile(Loss.MeanSquaredError, Optimizer.Sgd(0.1)));
        Export("dropout-only", Network.Sequential(3).Dropout(0.5).Compile(Loss.MeanSquaredError, Optimizer.Sgd(0.1)));

        var report = Fixtures.RunPython("onnx_check.py", [.. files]);
        output.WriteLine(report);
        Assert.Equal(files.Count, report.Split('\n', StringSplitOptions.RemoveEmptyEntries).Count(l => l.Contains(": ok (")));
        Directory.Delete(folder, recursive: true);
    }
}
