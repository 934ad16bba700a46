using System.Diagnostics;
using System.Globalization;
using System.Numerics;
using System.Text;
using Hybrid.Autograd;
using Hybrid.Core;
using Hybrid.Data;

namespace Hybrid.Benchmarks;

/// <summary>
/// s/epoch on MNIST (784-128-k, batch 64, Adam 0.001) for every built-in layer and loss and for a user-defined activation
/// and layer, one epoch of each model in turn per round (interleaved, so a load change on the machine hits them alike),
/// the first round dropped as warm-up; the bytes a warmed fused step of each built-in combination and of the graph layer
/// allocates; and sigmoid
/// + binary cross-entropy on digit 0 against the rest, 5 epochs for seeds 1–8. Run by build/bench-layers.sh.
/// </summary>
static class LayerEpochs
{
    static double Sigma(double x) => 1 / (1 + Math.Exp(-x));

    /// <summary>A user-defined per-feature affine layer, y = x ⊙ s + t.</summary>
    sealed class Affine : CustomLayer
    {
        public override string Name => "Affine";

        public override int Outputs(int inputs) => inputs;

        public override IReadOnlyList<LayerParameter> Parameters(int inputs) =>
            [new("scale", 1, inputs, WeightInit.GlorotUniform), new("shift", 1, inputs, WeightInit.Zeros)];

        public override Variable<T> Forward<T>(Variable<T> x, IReadOnlyDictionary<string, Variable<T>> p) =>
            x * (p["scale"] + 1.0) + p["shift"];
    }

    /// <summary>Affine's core rule, for the allocation measurement (the façade keeps its own private): the same ops.</summary>
    static readonly GraphLayerRule AffineRule = new FunctionGraphLayer("Affine", inputs => inputs,
        inputs => [Tuple.Create("scale", 1, inputs, Initializer.GlorotUniform), Tuple.Create("shift", 1, inputs, Initializer.Zeros)],
        (x, p) => Arith.add(Arith.mul(x, Arith.addScalar(1.0, p[0])), p[1]),
        (x, p) => Arith.add(Arith.mul(x, Arith.addScalar(1.0, p[0])), p[1]));

    static Variable<T> SwishOps<T>(Variable<T> x) where T : struct, IFloatingPointIeee754<T> => x * x.Sigmoid();

    /// <summary>The core rule of the Swish built from graph ops (the façade keeps its own private): the same ops.</summary>
    static readonly ActivationRule SwishOpsRule = new GraphActivationRule("SwishOps",
        x => Arith.mul(x, Activations.sigmoid(x)), x => Arith.mul(x, Activations.sigmoid(x)));

    sealed record Case(string Name, bool BuiltIn, bool Binary, Func<SequentialBuilder, SequentialBuilder> Layers, Loss Loss)
    {
        /// <summary>Whether the warmed step's bytes are measured: every built-in combination and the graph layer.</summary>
        public bool Measured => BuiltIn || Name.StartsWith("User-defined graph layer", StringComparison.Ordinal) || Name.Contains("graph ops", StringComparison.Ordinal);
    }

    static IReadOnlyList<Case> Cases()
    {
        // f′ from y = f(x): σ(x) + y(1 − σ(x)), one exponential.
        var swish = Activation.Custom("Swish", x => x * Sigma(x), (x, y) =>
        {
            var s = Sigma(x);
            return s + y * (1 - s);
        });
        return
        [
            new("ReLU / softmax-CE (reference)", true, false, b => b.Dense(128, Activation.ReLU).Dense(10), Loss.SoftmaxCrossEntropy),
            new("Sigmoid hidden", true, false, b => b.Dense(128, Activation.Sigmoid).Dense(10), Loss.SoftmaxCrossEntropy),
            new("Tanh hidden", true, false, b => b.Dense(128, Activation.Tanh).Dense(10), Loss.SoftmaxCrossEntropy),
            new("LeakyReLU hidden", true, false, b => b.Dense(128, Activation.LeakyReLU()).Dense(10), Loss.SoftmaxCrossEntropy),
            new("Softplus hidden", true, false, b => b.Dense(128, Activation.Softplus).Dense(10), Loss.SoftmaxCrossEntropy),
            new("SiLU hidden (new built-in)", true, false, b => b.Dense(128, Activation.SiLU).Dense(10), Loss.SoftmaxCrossEntropy),
            new("Softmax layer + categorical CE", true, false, b => b.Dense(128, Activation.ReLU).Dense(10).Activation(Activation.Softmax), Loss.CategoricalCrossEntropy),
            new("MSE", true, false, b => b.Dense(128, Activation.ReLU).Dense(10), Loss.MeanSquaredError),
            new("Sigmoid output + BCE (0 vs rest)", true, true, b => b.Dense(128, Activation.ReLU).Dense(1, Activation.Sigmoid), Loss.BinaryCrossEntropy),
            new("BCE with logits (0 vs rest)", true, true, b => b.Dense(128, Activation.ReLU).Dense(1), Loss.BinaryCrossEntropyWithLogits),
            new("Dropout 0.2", true, false, b => b.Dense(128, Activation.ReLU).Dropout(0.2).Dense(10), Loss.SoftmaxCrossEntropy),
            new("User-defined Swish activation", false, false, b => b.Dense(128, swish).Dense(10), Loss.SoftmaxCrossEntropy),
            new("User-defined Swish from graph ops", false, false, b => b.Dense(128, Activation.Custom("SwishOps", SwishOps<float>, SwishOps<double>)).Dense(10), Loss.SoftmaxCrossEntropy),
            new("User-defined graph layer (Affine)", false, false, b => b.Dense(128, Activation.ReLU).Layer(new Affine()).Dense(10), Loss.SoftmaxCrossEntropy),
        ];
    }

    static Dataset ZeroAgainstRest(Dataset digits) =>
        Dataset.FromBinaryLabels(digits.Features(), digits.Labels!.Select(l => l == 0 ? 1 : 0).ToArray());

    public static int Run(string[] args)
    {
        var rounds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 4;
        var output = args.Length > 2 ? args[2] : "artifacts/bench-layers.md";
        Providers.Threads = 2;
        Providers.UseBest();
        var mnist = Mnist.Load(log: Console.Error.WriteLine);
        var binaryTrain = ZeroAgainstRest(mnist.Train);
        var binaryTest = ZeroAgainstRest(mnist.Test);
        var cases = Cases();
        var models = cases.Select(c => c.Layers(Network.Sequential(784)).Compile(c.Loss, Optimizer.Adam(0.001), seed: 1)).ToArray();
        var seconds = cases.Select(_ => new List<double>()).ToArray();
        for (var r = 0; r < rounds; r++)
            for (var i = 0; i < cases.Count; i++)
            {
                var history = models[i].Fit(cases[i].Binary ? binaryTrain : mnist.Train, epochs: 1, batchSize: 64);
                if (r > 0) seconds[i].Add(history.Epochs[0].Seconds);
                Console.Error.WriteLine($"round {r + 1}/{rounds}: {cases[i].Name} {history.Epochs[0].Seconds:F3} s");
            }

        var medians = seconds.Select(Median).ToArray();
        // The fastest round of each: on a machine shared with other work, the round least disturbed.
        var bests = seconds.Select(xs => xs.Count == 0 ? double.NaN : xs.Min()).ToArray();
        var text = new StringBuilder();
        text.AppendLine($"Written by build/bench-layers.sh on {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC: {Environment.ProcessorCount} cores (shared with other work: read the ratios, not the seconds), provider {Providers.Describe()}.");
        text.AppendLine($"MNIST 60,000 training images, 784-128-k, batch 64, Adam 0.001; median of {rounds - 1} interleaved rounds (a first round dropped).");
        text.AppendLine();
        text.AppendLine("| Model | s/epoch (median) | all rounds | × reference (medians) | × reference (fastest rounds) | path | warmed step allocates |");
        text.AppendLine("|---|---:|---|---:|---:|---|---:|");
        for (var i = 0; i < cases.Count; i++)
        {
            var path = models[i].Summary().AllFused ? "fused" : "fused + graph layer";
            var bytes = cases[i].Measured ? $"{StepBytes(cases[i], mnist):N0} B" : "";
            text.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {cases[i].Name} | {medians[i]:F3} | {string.Join(" ", seconds[i].Select(s => s.ToString("F3", CultureInfo.InvariantCulture)))} | {medians[i] / medians[0]:F2} | {bests[i] / bests[0]:F2} | {path} | {bytes} |"));
        }

        text.AppendLine();
        text.AppendLine("Sigmoid output + binary cross-entropy, digit 0 against the rest, 5 epochs, batch 64, Adam 0.001:");
        text.AppendLine();
        text.AppendLine("| seed | NaN seen | test accuracy |");
        text.AppendLine("|---:|---|---:|");
        for (var seed = 1; seed <= 8; seed++)
        {
            var model = Network.Sequential(784).Dense(128, Activation.ReLU).Dense(1, Activation.Sigmoid)
                .Compile(Loss.BinaryCrossEntropy, Optimizer.Adam(0.001), seed: seed);
            string nan;
            double accuracy;
            try
            {
                var history = model.Fit(binaryTrain, epochs: 5, batchSize: 64);
                nan = history.Epochs.Any(e => !double.IsFinite(e.Loss)) ? "yes" : "no";
                accuracy = model.Evaluate(binaryTest).Accuracy;
            }
            catch (Hybrid.Training.TrainingDivergedException e)
            {
                nan = $"diverged: {e.Message}";
                accuracy = double.NaN;
            }

            text.AppendLine(string.Create(CultureInfo.InvariantCulture, $"| {seed} | {nan} | {100 * accuracy:F2}% |"));
            Console.Error.WriteLine($"BCE seed {seed}: {nan}, {100 * accuracy:F2}%");
        }

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
        File.WriteAllText(output, text.ToString());
        Console.WriteLine(text);
        return 0;
    }

    static double Median(List<double> xs)
    {
        if (xs.Count == 0) return double.NaN;
        var s = xs.Order().ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }

    /// <summary>Bytes one fused step allocates on this thread after 50 warm-up steps, averaged over 200 steps of real MNIST batches.</summary>
    static double StepBytes(Case c, MnistData mnist)
    {
        var k = c.Binary ? 1 : 10;
        var built = c.Layers(Network.Sequential(784)).Compile(c.Loss, Optimizer.Adam(0.001), seed: 1);
        var specs = CoreSpecs(built, c);
        var model = Core.Sequential.create<float>(new Random(1), 784, specs);
        var loss = c.Loss.Name switch
        {
            "softmax_cross_entropy" => LossFunction.SoftmaxCrossEntropy,
            "mean_squared_error" => LossFunction.MeanSquaredError,
            "binary_cross_entropy" => LossFunction.BinaryCrossEntropy,
            "binary_cross_entropy_with_logits" => LossFunction.BinaryCrossEntropyWithLogits,
            _ => LossFunction.CategoricalCrossEntropy,
        };
        var trainer = new FusedTrainer<float>(model, loss, OptimizerSpecModule.adam(0.001), null);
        var kernels = Providers.Kernels<float>();
        const int batch = 64;
        var features = mnist.Train.Take(batch).Features().ToRowMajorArray();
        var labels = mnist.Train.Take(batch).Labels!;
        var targets = new float[batch * k];
        for (var i = 0; i < batch; i++)
            if (k == 1) targets[i] = labels[i] == 0 ? 1 : 0;
            else targets[labels[i] * batch + i] = 1;
        var outputs = new float[batch * k];
        var rng = new Random(1);
        Action<Span<float>, Span<float>> fill = (x, y) =>
        {
            features.CopyTo(x);
            targets.CopyTo(y);
        };
        for (var i = 0; i < 50; i++) trainer.Step(kernels, batch, fill, 0.001, rng, outputs);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 200; i++) trainer.Step(kernels, batch, fill, 0.001, rng, outputs);
        return (GC.GetAllocatedBytesForCurrentThread() - before) / 200.0;
    }

    /// <summary>The core layer specs of a built-in case (the façade keeps its model's private).</summary>
    static LayerSpec[] CoreSpecs(Model built, Case c)
    {
        var specs = new List<LayerSpec>();
        foreach (var layer in built.Layers)
        {
            if (layer.StartsWith("Linear(", StringComparison.Ordinal))
                specs.Add(LayerSpec.NewDense(int.Parse(layer[(layer.IndexOf('→') + 2)..^1], CultureInfo.InvariantCulture), Initializer.GlorotUniform, Initializer.Zeros));
            else if (layer == AffineRule.Name || layer.StartsWith(AffineRule.Name + "(", StringComparison.Ordinal))
                specs.Add(LayerSpec.NewGraph(AffineRule));
            else if (layer.StartsWith("Dropout(", StringComparison.Ordinal))
                specs.Add(LayerSpec.NewDropout(double.Parse(layer[8..^1], CultureInfo.InvariantCulture)));
            else
                specs.Add(LayerSpec.NewActivation(layer switch
                {
                    "ReLU" => ActivationFunction.ReLU,
                    "Sigmoid" => ActivationFunction.Sigmoid,
                    "Tanh" => ActivationFunction.Tanh,
                    "Softplus" => ActivationFunction.Softplus,
                    "SiLU" => ActivationFunction.SiLU,
                    "SwishOps" => ActivationFunction.NewCustom(SwishOpsRule),
                    "Softmax" => ActivationFunction.Softmax,
                    _ when layer.StartsWith("LeakyReLU", StringComparison.Ordinal) => ActivationFunction.NewLeakyReLU(0.01),
                    _ => throw new InvalidOperationException($"{c.Name}: no core spec for {layer}"),
                }));
        }

        return specs.ToArray();
    }
}
