using System.Globalization;
using Google.Protobuf;
using Hybrid.Data;
using Hybrid.Onnx.Proto;
using MathNet.Numerics.LinearAlgebra;
using Xunit.Abstractions;

namespace Hybrid.Onnx.Tests;

/// <summary>Network.LoadOnnx: files from Hybrid, from PyTorch and written by hand compute what ONNX Runtime computes from them.</summary>
[Collection(TrainedModelsCollection.Name)]
public class ImportTests(TrainedModels trained, ITestOutputHelper output)
{
    static void SameWeightsBitForBit(Model expected, Model actual)
    {
        Assert.Equal(expected.Parameters.Select(p => p.Key), actual.Parameters.Select(p => p.Key));
        foreach (var ((name, a), (_, b)) in expected.Parameters.Zip(actual.Parameters))
        {
            Assert.Equal((a.RowCount, a.ColumnCount), (b.RowCount, b.ColumnCount));
            var bitsA = a.ToColumnMajorArray().Select(BitConverter.SingleToInt32Bits);
            var bitsB = b.ToColumnMajorArray().Select(BitConverter.SingleToInt32Bits);
            Assert.True(bitsA.SequenceEqual(bitsB), $"{name} differs");
        }
    }

    [Fact]
    public void Hybrid_to_ONNX_to_Hybrid_gives_back_the_same_model_bit_for_bit()
    {
        var every = Network.Sequential(12).Dense(16, Activation.Sigmoid).Dropout(0.3).Dense(14, Activation.Tanh)
            .Dense(12, Activation.LeakyReLU(0.2)).Dense(10, Activation.Softplus).Dense(6, Activation.Softmax).Dense(1)
            .Compile(Loss.BinaryCrossEntropyWithLogits, Optimizer.Adam(), seed: 9);
        foreach (var model in new[] { trained.Readme, trained.Wide, every })
        {
            var path = Fixtures.TempFile(".onnx");
            model.ExportOnnx(path);
            var back = Network.LoadOnnx(path);
            Assert.Equal(model.Layers, back.Layers);
            Assert.Equal(model.Loss, back.Loss);
            SameWeightsBitForBit(model, back);
            var x = model.Inputs == 784 ? Fixtures.Mnist.Test.Take(500).Features() : Fixtures.RandomInputs(100, 12, 3);
            Assert.Equal(model.Predict(x).Probabilities.ToRowMajorArray(), back.Predict(x).Probabilities.ToRowMajorArray());
            // Exported again, the same bytes.
            var again = Fixtures.TempFile(".onnx");
            back.ExportOnnx(again);
            Assert.Equal(File.ReadAllBytes(path), File.ReadAllBytes(again));
            File.Delete(path);
            File.Delete(again);
        }
    }

    [Fact]
    public void Without_Hybrids_metadata_the_graph_alone_gives_the_same_weights_and_predictions()
    {
        var path = Fixtures.TempFile(".onnx");
        trained.Wide.ExportOnnx(path);
        var proto = ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));
        proto.MetadataProps.Clear();
        File.WriteAllBytes(path, proto.ToByteArray());

        var back = Network.LoadOnnx(path);
        // The dropout layers are gone (an inference graph has none); the dense layers renumber, their weights do not change.
        Assert.Equal(trained.Wide.Layers.Where(l => !l.StartsWith("Dropout", StringComparison.Ordinal)), back.Layers);
        Assert.Equal(["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"], back.Parameters.Select(p => p.Key));
        foreach (var ((_, a), (_, b)) in trained.Wide.Parameters.Zip(back.Parameters))
            Assert.Equal(a.ToColumnMajorArray().Select(BitConverter.SingleToInt32Bits), b.ToColumnMajorArray().Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(Loss.SoftmaxCrossEntropy, back.Loss);
        var x = Fixtures.Mnist.Test.Take(1000).Features();
        Assert.Equal(trained.Wide.Predict(x).Classes, back.Predict(x).Classes);
        File.Delete(path);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("""{"inputs":12,"inputs":12,"layers":[{"type":"Linear","in_features":12,"out_features":16}]}""")]
    [InlineData("""{"inputs":12,"layers":[{"type":"Linear","in_features":12,"out_features":99}]}""")]
    [InlineData("""{"inputs":12,"layers":[{"type":"Linear","in_features":12,"out_features":16},{"type":"Dropout","p":5},{"type":"Sigmoid"},{"type":"Linear","in_features":16,"out_features":3}]}""")]
    [InlineData("""{"inputs":12,"layers":[{"type":"Conv2d"}]}""")]
    public void Hybrids_metadata_that_does_not_agree_with_the_graph_is_ignored(string architecture)
    {
        var model = Network.Sequential(12).Dense(16).Activation(Activation.Sigmoid).Dense(3).Compile(Loss.MeanSquaredError, Optimizer.Adam(), seed: 2);
        var path = Fixtures.TempFile(".onnx");
        model.ExportOnnx(path);
        var proto = ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));
        proto.MetadataProps.Single(p => p.Key == OnnxFormat.ArchitectureKey).Value = architecture;
        proto.MetadataProps.Single(p => p.Key == OnnxFormat.LossKey).Value = "nonsense";
        File.WriteAllBytes(path, proto.ToByteArray());

        var back = Network.LoadOnnx(path);
        Assert.Equal(model.Layers, back.Layers);
        Assert.Equal(Loss.SoftmaxCrossEntropy, back.Loss); // the graph's own default for 3 logits
        SameWeightsBitForBit(model, back);
        File.Delete(path);
    }

    [Fact]
    public void An_imported_model_trains_on()
    {
        var path = Fixtures.TempFile(".onnx");
        trained.Readme.ExportOnnx(path);
        var back = Network.LoadOnnx(path, optimizer: Optimizer.Sgd(0.01));
        var before = back.Evaluate(Fixtures.Mnist.Test.Take(2000)).Loss;
        back.Fit(Fixtures.Mnist.Train.Slice(20_000, 5000), epochs: 1, batchSize: 32);
        var after = back.Evaluate(Fixtures.Mnist.Test.Take(2000)).Loss;
        Assert.True(after < before, $"loss {before:F4} → {after:F4}");
        File.Delete(path);
    }

    public static TheoryData<string> HandwrittenNames => [.. Graphs.Handwritten.Keys];

    [Theory]
    [MemberData(nameof(HandwrittenNames))]
    public void A_handwritten_graph_computes_what_ONNX_Runtime_computes(string name)
    {
        var (proto, inputShape, layers) = Graphs.Handwritten[name];
        var path = Graphs.Save(proto);
        var model = Network.LoadOnnx(path);
        Assert.Equal(layers, model.Layers);

        var features = inputShape.Aggregate(1, (a, d) => a * d);
        var x = Fixtures.RandomInputs(5, features, seed: 21);
        var (values, shape) = Fixtures.RunOrt(path, x, proto.Graph.Output[0].Name, proto.Graph.Input[0].Name, [5, .. inputShape]);
        File.Delete(path);
        Assert.Equal([5, model.Outputs], shape);
        var ours = model.LayerOutputs(x)[^1].ToRowMajorArray();
        var worst = Fixtures.MaxDifference(ours, values);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name}: {string.Join(" → ", model.Layers)}; largest difference from ONNX Runtime {worst:E2}"));
        Assert.True(worst <= 1e-5, $"differs from ONNX Runtime by {worst:E2}");
    }

    [TorchFact]
    public void Models_exported_by_torch_onnx_export_import_and_predict_PyTorchs_10000_classes()
    {
        var mnist = Fixtures.Mnist;
        var folder = Fixtures.TempFolder();
        static byte[] Pixels(Dataset data) => data.Features().ToRowMajorArray().Select(v => (byte)MathF.Round(v * 255f)).ToArray();
        var train = mnist.Train.Take(10_000);
        File.WriteAllBytes(Path.Combine(folder, "train-images"), Pixels(train));
        File.WriteAllBytes(Path.Combine(folder, "train-labels"), train.Labels!.Select(l => (byte)l).ToArray());
        File.WriteAllBytes(Path.Combine(folder, "test-images"), Pixels(mnist.Test));
        Fixtures.RunPython("torch_onnx.py", folder, Path.Combine(folder, "train-images"), Path.Combine(folder, "train-labels"), Path.Combine(folder, "test-images"));

        var expectedLayers = new Dictionary<string, string[]>
        {
            ["sequential"] = ["Linear(784 → 64)", "ReLU", "Linear(64 → 32)", "Sigmoid", "Linear(32 → 10)"],
            ["matmul"] = ["Linear(784 → 48)", "LeakyReLU(0.1)", "Linear(48 → 32)", "Tanh", "Linear(32 → 24)", "Softplus", "Linear(24 → 10)", "Softmax"],
        };
        foreach (var (name, layers) in expectedLayers)
        {
            var model = Network.LoadOnnx(Path.Combine(folder, name + ".onnx"));
            Assert.Equal(layers, model.Layers);
            var torchClasses = Read(Path.Combine(folder, name + ".classes"), 8, (b, i) => (int)BitConverter.ToInt64(b, i));
            var torchProbabilities = Read(Path.Combine(folder, name + ".probabilities"), 4, BitConverter.ToSingle);
            var ours = model.Predict(mnist.Test);
            var mismatches = ours.Classes.Where((c, i) => c != torchClasses[i]).Count();
            var worst = Fixtures.MaxDifference(ours.Probabilities.ToRowMajorArray(), torchProbabilities);
            var accuracy = ours.Classes.Where((c, i) => c == mnist.Test.Labels![i]).Count() / 10_000.0;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{name}: {string.Join(" → ", model.Layers)}; loss {model.Loss}; accuracy {accuracy:P2}; {mismatches} of 10,000 classes differ from PyTorch's; largest probability difference {worst:E2}"));
            Assert.Equal(10_000, torchClasses.Length);
            Assert.True(accuracy > 0.85, $"the PyTorch model should be trained (accuracy {accuracy:P2})");
            Assert.Equal(0, mismatches);
            Assert.True(worst <= 1e-5, $"probabilities differ from PyTorch's by {worst:E2}");
        }

        Directory.Delete(folder, recursive: true);
    }

    static T[] Read<T>(string path, int size, Func<byte[], int, T> read)
    {
        var bytes = File.ReadAllBytes(path);
        return Enumerable.Range(0, bytes.Length / size).Select(i => read(bytes, i * size)).ToArray();
    }
}
