using BenchmarkDotNet.Attributes;
using Hybrid.Core;

namespace Hybrid.Benchmarks;

/// <summary>
/// One fused training step of a 784-128-10 ReLU MLP, and of the race's wider 784-512-256-10 (Adam, softmax
/// cross-entropy), per provider and batch size, on dense inputs and on MNIST-like sparse ones (which the Simd and
/// OpenBlas kernels multiply as sparse).
/// </summary>
[MemoryDiagnoser]
public class TrainingStepBenchmarks
{
    FusedTrainer<float>? trainer;
    IKernels<float>? kernels;
    float[] features = [], targets = [], outputs = [];
    Action<Span<float>, Span<float>>? fill;
    readonly Random rng = new(1);

    /// <summary>The provider under test.</summary>
    [Params(ProviderKind.Managed, ProviderKind.Simd, ProviderKind.OpenBlas)]
    public ProviderKind Provider { get; set; }

    /// <summary>Samples per batch.</summary>
    [Params(64, 128)]
    public int Batch { get; set; }

    /// <summary>Inputs like MNIST's (four in five pixels zero), which take the sparse first layer, or all nonzero.</summary>
    [Params(false, true)]
    public bool SparseInputs { get; set; }

    /// <summary>The hidden layers' widths, comma-separated.</summary>
    [Params("128", "512,256")]
    public string Hidden { get; set; } = "128";

    [GlobalSetup]
    public void Setup()
    {
        Providers.Threads = 2;
        Providers.Use(Provider);
        kernels = Providers.Kernels<float>();
        var specs = Hidden.Split(',')
            .SelectMany(width => new[] { LayerSpec.NewDense(int.Parse(width), Initializer.GlorotUniform, Initializer.Zeros), LayerSpec.NewActivation(ActivationFunction.ReLU) })
            .Append(LayerSpec.NewDense(10, Initializer.GlorotUniform, Initializer.Zeros))
            .ToArray();
        var model = Core.Sequential.create<float>(new Random(1), 784, specs);
        trainer = new FusedTrainer<float>(model, LossFunction.SoftmaxCrossEntropy, OptimizerSpecModule.adam(0.001), null);
        var r = new Random(2);
        features = Enumerable.Range(0, Batch * 784).Select(_ => SparseInputs && r.NextDouble() < 0.8 ? 0f : (float)r.NextDouble()).ToArray();
        targets = new float[Batch * 10]; // column-major; features are row-major, one sample after another
        for (var i = 0; i < Batch; i++) targets[(i % 10) * Batch + i] = 1f;
        outputs = new float[Batch * 10];
        fill = (x, y) =>
        {
            features.CopyTo(x);
            targets.CopyTo(y);
        };
    }

    /// <summary>Forward, loss, backward and the Adam update of every parameter.</summary>
    [Benchmark]
    public double Step() => trainer!.Step(kernels!, Batch, fill!, 0.001, rng, outputs);
}
