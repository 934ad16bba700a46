using System.Diagnostics;
using System.Text.Json;
using Hybrid.IO;

namespace Hybrid.Tests;

/// <summary>
/// Network.Load on safetensors files as PyTorch users write them: a state_dict with no Hybrid metadata, or another
/// tool's, the Linear layers inferred from the names and shapes given the activation between them.
/// </summary>
public class StateDictTests
{
    static readonly Lazy<string> torchFiles = new(() =>
    {
        var folder = Path.Combine(Path.GetTempPath(), $"hybrid-state-dict-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        _ = Fixtures.Mnist; // the IDX files are in the cache
        var data = Path.Combine(Environment.GetEnvironmentVariable("HYBRID_DATA") ??
                                Path.Combine(Environment.GetEnvironmentVariable("XDG_CACHE_HOME") ??
                                             Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"), "hybrid"), "mnist");
        var script = Path.Combine(AppContext.BaseDirectory, "interop", "torch_state_dict.py");
        using var p = Process.Start(new ProcessStartInfo(TorchFactAttribute.Python, [script, data, folder]) { RedirectStandardError = true })!;
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"torch_state_dict.py failed: {stderr}");
        return folder;
    });

    static int[] TorchClasses() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(torchFiles.Value, "classes.json"))).RootElement.GetProperty("classes")
            .EnumerateArray().Select(e => e.GetInt32()).ToArray();

    [TorchFact]
    public void A_state_dict_without_metadata_loads_with_its_activation_and_predicts_as_PyTorch()
    {
        var model = Network.Load(Path.Combine(torchFiles.Value, "plain.safetensors"), activation: Activation.ReLU);
        Assert.Equal(["Linear(784 → 64)", "ReLU", "Linear(64 → 32)", "ReLU", "Linear(32 → 10)"], model.Layers);
        var classes = model.Predict(Fixtures.Mnist.Test).Classes;
        var torch = TorchClasses();
        Assert.Equal(10_000, torch.Length);
        Assert.Equal(0, classes.Zip(torch).Count(p => p.First != p.Second));
        Assert.True(model.Evaluate(Fixtures.Mnist.Test).Accuracy > 0.85);
    }

    [TorchFact]
    public void A_state_dict_with_another_tool_s_metadata_loads_the_same()
    {
        var model = Network.Load(Path.Combine(torchFiles.Value, "foreign.safetensors"), activation: Activation.ReLU);
        Assert.Equal(0, model.Predict(Fixtures.Mnist.Test).Classes.Zip(TorchClasses()).Count(p => p.First != p.Second));
        // Saved again, it carries Hybrid's architecture and loads without being told the activation.
        var path = Fixtures.TempFile(".safetensors");
        try
        {
            model.Save(path);
            Assert.Equal(model.Layers, Network.Load(path).Layers);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TorchFact]
    public void Without_the_activation_the_error_says_what_to_pass()
    {
        var plain = Path.Combine(torchFiles.Value, "plain.safetensors");
        var e = Assert.Throws<InvalidDataException>(() => Network.Load(plain));
        Assert.Contains("no 'architecture' entry", e.Message);
        Assert.Contains("activation: Activation.ReLU", e.Message);
        Assert.Contains("--activation relu", e.Message);
        var foreign = Assert.Throws<InvalidDataException>(() => Network.Load(Path.Combine(torchFiles.Value, "foreign.safetensors")));
        Assert.Contains("is not valid JSON", foreign.Message);
        Assert.Contains("activation: Activation.ReLU", foreign.Message);
    }

    static StoredTensor T(params int[] shape) => new(shape, Enumerable.Range(0, shape.Aggregate(1, (a, b) => a * b)).Select(i => (i % 7 - 3) * 0.01f).ToArray());

    static string Load(params (string Name, StoredTensor Tensor)[] tensors)
    {
        var path = Fixtures.TempFile(".safetensors");
        try
        {
            SafeTensors.Write(path, tensors.Select(t => KeyValuePair.Create(t.Name, t.Tensor)).ToArray(), new Dictionary<string, string>());
            var e = Assert.Throws<InvalidDataException>(() => Network.Load(path, activation: Activation.Tanh));
            Assert.StartsWith(path, e.Message);
            return e.Message[(path.Length + 2)..];
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Names_under_one_prefix_with_gaps_load_and_keep_their_order()
    {
        var path = Fixtures.TempFile(".safetensors");
        try
        {
            SafeTensors.Write(path, new[] { ("net.10.weight", T(3, 5)), ("net.10.bias", T(3)), ("net.2.weight", T(5, 4)), ("net.2.bias", T(5)) }
                .Select(t => KeyValuePair.Create(t.Item1, t.Item2)).ToArray(), new Dictionary<string, string>());
            var model = Network.Load(path, activation: Activation.Tanh);
            Assert.Equal(["Linear(4 → 5)", "Tanh", "Linear(5 → 3)"], model.Layers);
            Assert.Equal(T(5, 4).Data[..4], model.Parameters[0].Value.Row(0).ToArray());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Impossible_state_dicts_name_what_was_expected()
    {
        Assert.StartsWith("tensor '2.weight' shape: [3, 6]: its 6 inputs are not the 5 outputs of '0.weight' before it",
            Load(("0.weight", T(5, 4)), ("0.bias", T(5)), ("2.weight", T(3, 6)), ("2.bias", T(3))));
        Assert.StartsWith("tensor 'encoder.weight': is not a Linear layer's weight or bias; inferring the layers needs a state_dict of Linear layers only: names 'N.weight' [out, in]",
            Load(("encoder.weight", T(5, 4))));
        Assert.StartsWith("tensor '0.weight': has no '0.bias' beside it", Load(("0.weight", T(5, 4))));
        Assert.StartsWith("tensor '0.bias': has no '0.weight' beside it", Load(("0.bias", T(5))));
        Assert.StartsWith("tensor '0.weight' shape: [2, 3, 4], not a Linear weight [out, in]", Load(("0.weight", T(2, 3, 4)), ("0.bias", T(2))));
        Assert.StartsWith("tensor 'b.1.bias': its prefix 'b.' differs from 'a.'",
            Load(("a.0.weight", T(5, 4)), ("a.0.bias", T(5)), ("b.1.weight", T(3, 5)), ("b.1.bias", T(3))));
        Assert.StartsWith("tensor '0.bias' shape: [4], but the architecture needs [5]", Load(("0.weight", T(5, 4)), ("0.bias", T(4))));
        var nan = T(5, 4);
        nan.Data[7] = float.NaN;
        Assert.StartsWith("tensor '0.weight': element 7 is NaN", Load(("0.weight", nan), ("0.bias", T(5))));
        var deep = Enumerable.Range(0, 4100).SelectMany(i => new[] { ($"{i}.weight", T(1, 1)), ($"{i}.bias", T(1)) }).ToArray();
        Assert.StartsWith("tensors: 4,100 Linear layers, more than the 4,096 a model may have", Load(deep));
    }
}
