using System.Diagnostics;
using System.Text.Json;
using Hybrid.Data;
using Hybrid.IO;
using MathNet.Numerics.LinearAlgebra;

namespace Hybrid.Tests;

public class ModelFileTests
{
    static Model Trained()
    {
        var model = Network.Sequential(4).Dense(6, Activation.Tanh).Dropout(0.2).Dense(5, Activation.LeakyReLU(0.1)).Dense(2)
            .Compile(Loss.SoftmaxCrossEntropy, Optimizer.Adam(0.01), seed: 7);
        model.Fit(Fixtures.Blobs(100), epochs: 2, batchSize: 10);
        return model;
    }

    [Fact]
    public void A_saved_model_loads_back_and_predicts_the_same()
    {
        var model = Trained();
        var path = Fixtures.TempFile(".safetensors");
        model.Save(path);
        var loaded = Network.Load(path);
        var x = Fixtures.Blobs(20, seed: 8).Features();
        Assert.Equal(model.Predict(x).Probabilities, loaded.Predict(x).Probabilities);
        Assert.Equal(model.Layers, loaded.Layers);
        Assert.Equal(model.Loss, loaded.Loss);
        File.Delete(path);
    }

    [Fact]
    public void The_file_uses_PyTorch_names_and_layouts()
    {
        var model = Trained();
        var path = Fixtures.TempFile(".safetensors");
        model.Save(path);
        var (tensors, metadata) = SafeTensors.Read(path);
        File.Delete(path);
        Assert.Equal(["0.bias", "0.weight", "3.bias", "3.weight", "5.bias", "5.weight"], tensors.Keys.Order());
        Assert.Equal([6, 4], tensors["0.weight"].Shape); // [out, in]
        Assert.Equal([6], tensors["0.bias"].Shape);
        Assert.Equal(model.Parameters[0].Value[1, 2], tensors["0.weight"].Data[1 * 4 + 2]); // row-major
        using var architecture = JsonDocument.Parse(metadata["architecture"]);
        Assert.Equal(["Linear", "Tanh", "Dropout", "Linear", "LeakyReLU", "Linear"],
            architecture.RootElement.GetProperty("layers").EnumerateArray().Select(l => l.GetProperty("type").GetString()));
        Assert.Equal("softmax_cross_entropy", metadata["loss"]);
    }

    [Fact]
    public void Saving_replaces_the_file_atomically_and_leaves_no_temporary_file()
    {
        var path = Fixtures.TempFile(".safetensors");
        File.WriteAllText(path, "an older model");
        Trained().Save(path);
        Assert.NotEqual("an older model", File.ReadAllText(path));
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(path)!, $".{Path.GetFileName(path)}*.tmp"));
        File.Delete(path);
    }

    [Theory]
    [InlineData(0, "too short")]
    [InlineData(20, "truncated")]
    [InlineData(-8, "does not fit")]
    public void A_damaged_model_file_is_refused_with_the_reason(int keep, string reason)
    {
        var path = Fixtures.TempFile(".safetensors");
        Trained().Save(path);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, keep > 0 ? bytes[..keep] : keep == 0 ? bytes[..4] : bytes[..^(-keep)]);
        var e = Assert.Throws<InvalidDataException>(() => Network.Load(path));
        Assert.Contains(path, e.Message);
        Assert.Contains(reason, e.Message);
        File.Delete(path);
    }

    [Fact]
    public void A_file_without_architecture_says_so()
    {
        var path = Fixtures.TempFile(".safetensors");
        SafeTensors.Write(path, [KeyValuePair.Create("0.weight", new StoredTensor([2, 2], [1, 2, 3, 4]))], new Dictionary<string, string>());
        var e = Assert.Throws<InvalidDataException>(() => Network.Load(path));
        Assert.Contains("architecture", e.Message);
        File.Delete(path);
    }

    static readonly Matrix<float> Inputs = Matrix<float>.Build.Dense(16, 784, (i, j) => (float)((i * 31 + j * 17) % 255) / 255f);

    static string WriteInputs()
    {
        var path = Fixtures.TempFile(".json");
        File.WriteAllText(path, JsonSerializer.Serialize(new { rows = Enumerable.Range(0, Inputs.RowCount).Select(i => Inputs.Row(i).ToArray()) }));
        return path;
    }

    static (float[][] Probabilities, int[] Classes) RunTorch(string mode, string model, string inputs)
    {
        var output = Fixtures.TempFile(".json");
        var script = Path.Combine(AppContext.BaseDirectory, "interop", "torch_mlp.py");
        using var p = Process.Start(new ProcessStartInfo(TorchFactAttribute.Python, [script, mode, model, inputs, output])
        {
            RedirectStandardError = true,
        })!;
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"torch_mlp.py {mode} failed: {stderr}");
        using var json = JsonDocument.Parse(File.ReadAllText(output));
        File.Delete(output);
        var probabilities = json.RootElement.GetProperty("probabilities").EnumerateArray()
            .Select(r => r.EnumerateArray().Select(v => v.GetSingle()).ToArray()).ToArray();
        var classes = json.RootElement.GetProperty("classes").EnumerateArray().Select(c => c.GetInt32()).ToArray();
        return (probabilities, classes);
    }

    [TorchFact]
    public void A_model_written_by_PyTorch_loads_and_predicts_the_same_classes()
    {
        var model = Fixtures.TempFile(".safetensors");
        var inputs = WriteInputs();
        var torch = RunTorch("write", model, inputs);
        var loaded = Network.Load(model);
        var ours = loaded.Predict(Inputs);
        Assert.Equal(torch.Classes, ours.Classes);
        for (var i = 0; i < Inputs.RowCount; i++)
        for (var j = 0; j < 10; j++)
            Assert.Equal(torch.Probabilities[i][j], ours.Probabilities[i, j], 1e-5);
        File.Delete(model);
        File.Delete(inputs);
    }

    [TorchFact]
    public void A_Hybrid_checkpoint_loads_into_PyTorch_without_its_optimizer_keys_and_predicts_the_same()
    {
        var hybrid = Network.Sequential(784).Dense(32, Activation.ReLU).Dense(10)
            .Compile(Loss.SoftmaxCrossEntropy, Optimizer.Adam(), seed: 4);
        hybrid.Fit(Fixtures.Mnist.Train.Take(500), epochs: 1, batchSize: 50);
        var model = Fixtures.TempFile(".safetensors");
        hybrid.SaveCheckpoint(model);
        AssertTorchPredictsAsHybrid(hybrid, model);
    }

    [TorchFact]
    public void A_Hybrid_model_loads_into_PyTorch_and_predicts_the_same()
    {
        var hybrid = Network.Sequential(784).Dense(32, Activation.ReLU).Dropout(0.1).Dense(16, Activation.Sigmoid).Dense(10)
            .Compile(Loss.SoftmaxCrossEntropy, Optimizer.Adam(), seed: 3);
        var model = Fixtures.TempFile(".safetensors");
        hybrid.Save(model);
        AssertTorchPredictsAsHybrid(hybrid, model);
    }

    // PyTorch reads the saved file (torch_mlp.py read) and predicts the fixture inputs: the same classes as Hybrid, and
    // every probability within 1e-5. Deletes the file and the inputs afterwards.
    static void AssertTorchPredictsAsHybrid(Model hybrid, string model)
    {
        var inputs = WriteInputs();
        var torch = RunTorch("read", model, inputs);
        var ours = hybrid.Predict(Inputs);
        Assert.Equal(ours.Classes, torch.Classes);
        for (var i = 0; i < Inputs.RowCount; i++)
        for (var j = 0; j < 10; j++)
            Assert.Equal(ours.Probabilities[i, j], torch.Probabilities[i][j], 1e-5);
        File.Delete(model);
        File.Delete(inputs);
    }
}
