using System.Diagnostics;
using System.Globalization;
using Hybrid.Core;
using Hybrid.Data;
using Hybrid.IO;
using Hybrid.Training;
using MathNet.Numerics.LinearAlgebra;
using CoreModel = Hybrid.Core.Model;

namespace Hybrid;

/// <summary>
/// A compiled network: layers with their weights (float32), a loss, an optimizer and a schedule.
/// Train it with <see cref="Fit"/>, measure it with <see cref="Evaluate"/>, use it with
/// <see cref="Predict(Matrix{float})"/>, and keep it with <see cref="Save"/> / <see cref="Network.Load"/>.
/// </summary>
public sealed class Model
{
    readonly Model<float> core;
    readonly double? clipNorm;
    // The fused, allocation-free step when the layers and loss allow it; else the graph and its optimizer state.
    readonly FusedTrainer<float>? fused;
    readonly OptimizerState<float>? state;
    readonly Scheduler scheduler;
    // Separate streams derived from the one seed, so that e.g. adding dropout does not change the shuffling.
    readonly Random shuffling;
    readonly Random dropout;
    int epochsTrained;

    internal Model(Model<float> core, Loss loss, Optimizer optimizer, Schedule? schedule, double? clipNorm, int seed)
    {
        this.core = core;
        Loss = loss;
        Optimizer = optimizer;
        Schedule = schedule ?? Schedule.Constant;
        this.clipNorm = clipNorm;
        Seed = seed;
        var clip = clipNorm is { } n ? Microsoft.FSharp.Core.FSharpOption<double>.Some(n) : null;
        if (FusedTrainer<float>.Supports(core, loss.Objective))
            fused = new FusedTrainer<float>(core, loss.Objective, optimizer.Settings, clip);
        else
            state = new OptimizerState<float>(optimizer.Settings, CoreModel.parameters(core).Select(p => p.Item2).ToArray());
        scheduler = new Scheduler(Schedule.Value, optimizer.LearningRate);
        shuffling = new Random(unchecked(seed * 7919 + 1));
        dropout = new Random(unchecked(seed * 104729 + 2));
    }

    /// <summary>The loss the model minimises.</summary>
    public Loss Loss { get; }

    /// <summary>The optimizer.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>The learning-rate schedule.</summary>
    public Schedule Schedule { get; }

    /// <summary>The seed the model was compiled with.</summary>
    public int Seed { get; }

    /// <summary>Features per sample.</summary>
    public int Inputs => core.Inputs;

    /// <summary>Outputs per sample.</summary>
    public int Outputs => CoreModel.outputs(core);

    /// <summary>Number of trainable weights and biases.</summary>
    public int ParameterCount => CoreModel.parameterCount(core);

    /// <summary>Epochs trained so far, over every <see cref="Fit"/> call.</summary>
    public int EpochsTrained => epochsTrained;

    /// <summary>The parameters by PyTorch name ("0.weight" [out, in], "0.bias" [1, out], …); the matrices are the live weights.</summary>
    public IReadOnlyList<KeyValuePair<string, Matrix<float>>> Parameters =>
        CoreModel.parameters(core).Select(p => KeyValuePair.Create(p.Item1, p.Item2.Value)).ToArray();

    /// <summary>The layers as PyTorch modules, e.g. "Linear(784 → 128)", "ReLU".</summary>
    public IReadOnlyList<string> Layers
    {
        get
        {
            var widths = CoreModel.widths(core.Inputs, core.Specs);
            return core.Specs.Select((s, i) => s switch
            {
                LayerSpec.Dense d => $"Linear({widths[i]} → {d.outputs})",
                LayerSpec.Dropout p => $"Dropout({p.rate.ToString(CultureInfo.InvariantCulture)})",
                LayerSpec.Activation a => Activation.Of(a.Item).ToString(),
                _ => s.ToString(),
            }).ToArray();
        }
    }

    /// <summary>A one-line description: layers, parameter count, loss and optimizer.</summary>
    public string Summary() =>
        $"{string.Join(" → ", Layers)}; {ParameterCount:N0} parameters; loss {Loss}; {Optimizer}; schedule {Schedule}";

    /// <summary>
    /// Trains the model: each epoch shuffles the samples (seeded), runs mini-batches of
    /// <paramref name="batchSize"/> (the last may be smaller), evaluates <paramref name="validation"/> if given,
    /// steps the schedule and calls the callbacks.
    /// </summary>
    /// <param name="train">The training data.</param>
    /// <param name="epochs">Epochs to train.</param>
    /// <param name="batchSize">Samples per update: 1 is stochastic, the whole set is full-batch gradient descent.</param>
    /// <param name="validation">Data to evaluate after every epoch.</param>
    /// <param name="callbacks">Early stopping, checkpoints, or your own.</param>
    /// <param name="progress">Receives progress after every batch.</param>
    /// <param name="cancellationToken">Stops training between batches.</param>
    /// <param name="augmentation">Seeded random shifts, rotations, scalings and stroke changes of each training image, drawn afresh every epoch (square grey images only).</param>
    /// <exception cref="TrainingDivergedException">The loss became NaN or infinite (names the epoch and batch).</exception>
    /// <exception cref="ArgumentException">The data does not fit the model.</exception>
    public History Fit(
        Dataset train,
        int epochs = 1,
        int batchSize = 32,
        Dataset? validation = null,
        IReadOnlyList<Callback>? callbacks = null,
        IProgress<TrainingProgress>? progress = null,
        CancellationToken cancellationToken = default,
        Augmentation? augmentation = null)
    {
        ArgumentNullException.ThrowIfNull(train);
        CheckFits(train, nameof(train));
        if (validation is not null) CheckFits(validation, nameof(validation));
        if (epochs < 1) throw new ArgumentOutOfRangeException(nameof(epochs), epochs, "Fit: at least one epoch");
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "Fit: the batch size must be at least 1");
        callbacks ??= [];
        foreach (var c in callbacks) c.OnTrainBegin(this);

        var results = new List<EpochResult>();
        var stopped = false;
        var batches = (train.Count + batchSize - 1) / batchSize;
        var augmenter = augmentation is null ? null : new Augmenter(augmentation, train.FeatureCount);
        var filler = new BatchFiller(train, augmenter);
        var outputs = new float[batchSize * Outputs];
        for (var e = 0; e < epochs && !stopped; e++)
        {
            var epoch = epochsTrained + 1;
            var lr = scheduler.Rate(epochsTrained);
            var order = Dataset.Permutation(train.Count, shuffling);
            var clock = Stopwatch.StartNew();
            double lossSum = 0;
            var correct = 0;
            var seen = 0;
            for (var b = 0; b < batches; b++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var start = b * batchSize;
                var size = Math.Min(batchSize, train.Count - start);
                double loss;
                if (fused is not null)
                {
                    filler.Next(order, start, epoch);
                    loss = fused.Step(Providers.Kernels<float>(), size, filler.Fill, lr, dropout, outputs.AsSpan(0, size * Outputs));
                    if (double.IsFinite(loss)) correct += CountCorrect(outputs, size, train, order, start);
                }
                else
                {
                    var (x, y) = augmenter?.Batch(train, order, start, size, epoch) ?? train.Batch(order, start, size);
                    (loss, var output) = Step(x, y, lr);
                    if (double.IsFinite(loss)) correct += Correct(output, y);
                }

                if (!double.IsFinite(loss)) throw new TrainingDivergedException(epoch, b + 1, loss);
                lossSum += loss * size;
                seen += size;
                if (progress is not null)
                {
                    var elapsed = clock.Elapsed;
                    var rate = seen / Math.Max(elapsed.TotalSeconds, 1e-9);
                    progress.Report(new TrainingProgress(e + 1, epochs, b + 1, batches, lossSum / seen,
                        Classifies ? (double)correct / seen : double.NaN, rate, elapsed,
                        TimeSpan.FromSeconds((train.Count - seen) / rate)));
                }
            }

            var seconds = clock.Elapsed.TotalSeconds;
            var checkedOn = validation is null ? null : Evaluate(validation);
            var result = new EpochResult(epoch, lossSum / seen, Classifies ? (double)correct / seen : double.NaN,
                checkedOn?.Loss, checkedOn?.Accuracy, lr, seconds);
            results.Add(result);
            epochsTrained++;
            scheduler.Observe(result.ValidationLoss ?? result.Loss);
            foreach (var c in callbacks)
                if (!c.OnEpochEnd(this, result))
                    stopped = true;
        }

        foreach (var c in callbacks) c.OnTrainEnd(this);
        return new History(results, stopped);
    }

    (double Loss, Matrix<float> Output) Step(Matrix<float> x, Matrix<float> y, double lr)
    {
        var clip = clipNorm is { } n ? Microsoft.FSharp.Core.FSharpOption<double>.Some(n) : null;
        var result = Core.Training.step(core, Loss.Objective, state!, clip, lr, dropout, x, y);
        return (result.Item1, result.Item2);
    }

    /// <summary>Fills a fused step's batch buffers from the shuffled order; one delegate, reused, so a step allocates nothing.</summary>
    sealed class BatchFiller
    {
        readonly Dataset data;
        readonly Augmenter? augmenter;
        int[] order = [];
        int start, epoch;

        public BatchFiller(Dataset data, Augmenter? augmenter)
        {
            this.data = data;
            this.augmenter = augmenter;
            Fill = (x, y) =>
            {
                var rows = x.Length / this.data.FeatureCount;
                this.data.Batch(order, start, rows, x, y);
                this.augmenter?.Apply(x, rows, epoch, order, start);
            };
        }

        public Action<Span<float>, Span<float>> Fill { get; }

        public void Next(int[] order, int start, int epoch)
        {
            this.order = order;
            this.start = start;
            this.epoch = epoch;
        }
    }

    /// <summary>Correct predictions in a fused step's outputs (column-major, rows × Outputs) against the samples' classes.</summary>
    int CountCorrect(float[] outputs, int rows, Dataset data, int[] order, int start)
    {
        var correct = 0;
        for (var i = 0; i < rows; i++)
            if (ClassAt(outputs, rows, i) == data.ClassOf(order[start + i])) correct++;
        return correct;
    }

    /// <summary>True when outputs are classes: one-hot targets (several outputs), or one output read as a probability.</summary>
    bool Classifies => Outputs > 1 ? Loss.Objective.IsSoftmaxCrossEntropy || Loss.Objective.IsMeanSquaredError : true;

    /// <summary>
    /// The class row <paramref name="i"/> of column-major rows × Outputs values stands for: the largest output, or for
    /// one output whether it is above the threshold (logits at 0, that is σ(z) &gt; 0.5; probabilities and regression outputs at 0.5).
    /// </summary>
    int ClassAt(float[] columns, int rows, int i)
    {
        if (Outputs == 1) return columns[i] > (Loss.Objective.IsBinaryCrossEntropyWithLogits ? 0f : 0.5f) ? 1 : 0;
        var best = 0;
        for (var j = 1; j < Outputs; j++)
            if (columns[j * rows + i] > columns[best * rows + i]) best = j;
        return best;
    }

    /// <summary>The class of each row of a batch of outputs (or targets).</summary>
    int[] Classes(Matrix<float> output)
    {
        var columns = output.AsColumnMajorArray() ?? output.ToColumnMajorArray();
        var classes = new int[output.RowCount];
        for (var i = 0; i < classes.Length; i++) classes[i] = ClassAt(columns, output.RowCount, i);
        return classes;
    }

    int Correct(Matrix<float> output, Matrix<float> target)
    {
        var predicted = Classes(output);
        var actual = Classes(target);
        return predicted.Where((p, i) => p == actual[i]).Count();
    }

    /// <summary>The mean loss and accuracy on <paramref name="data"/>, with the confusion matrix when it has class labels. Dropout is off.</summary>
    /// <param name="data">Samples to evaluate.</param>
    /// <param name="batchSize">Samples per forward pass (memory only; the result does not depend on it).</param>
    public Evaluation Evaluate(Dataset data, int batchSize = 1000)
    {
        ArgumentNullException.ThrowIfNull(data);
        CheckFits(data, nameof(data));
        var order = Enumerable.Range(0, data.Count).ToArray();
        var classes = data.Labels is null ? 0 : Math.Max(Outputs, 2);
        var confusion = data.Labels is null ? null : new int[classes, classes];
        double lossSum = 0;
        var correct = 0;
        for (var start = 0; start < data.Count; start += batchSize)
        {
            var size = Math.Min(batchSize, data.Count - start);
            var (x, y) = data.Batch(order, start, size);
            var output = Core.Training.evaluate(core, x);
            var loss = Core.Training.loss(Loss.Objective, Graph.constant(output), Graph.constant(y)).Value[0, 0];
            lossSum += loss * size;
            var predicted = Classes(output);
            var actual = Classes(y);
            for (var i = 0; i < size; i++)
            {
                if (predicted[i] == actual[i]) correct++;
                if (confusion is not null) confusion[data.Labels![start + i], predicted[i]]++;
            }
        }

        return new Evaluation(lossSum / data.Count, Classifies ? (double)correct / data.Count : double.NaN, confusion, data.Count);
    }

    /// <summary>Predictions for samples given one per row: probabilities (for the cross-entropy losses) and classes. Dropout is off.</summary>
    public Prediction Predict(Matrix<float> features)
    {
        ArgumentNullException.ThrowIfNull(features);
        if (features.ColumnCount != Inputs)
            throw new ArgumentException($"Predict: the model takes {Inputs} features per sample, but the matrix has {features.ColumnCount} columns.", nameof(features));
        var output = Core.Training.evaluate(core, features);
        return new Prediction(Core.Training.predictions(Loss.Objective, output), Classes(output));
    }

    /// <summary>
    /// The output of every layer for samples given one per row, in evaluation mode (dropout off): element i is what
    /// layer i (as listed in <see cref="Layers"/>) hands on. Use it to see what a hidden layer makes of the data.
    /// </summary>
    public IReadOnlyList<Matrix<float>> LayerOutputs(Matrix<float> features)
    {
        ArgumentNullException.ThrowIfNull(features);
        if (features.ColumnCount != Inputs)
            throw new ArgumentException($"LayerOutputs: the model takes {Inputs} features per sample, but the matrix has {features.ColumnCount} columns.", nameof(features));
        var pass = new Pass(Mode.Evaluation, new Random(0));
        var outputs = new List<Matrix<float>>(core.Layers.Length);
        var h = Graph.constant(features);
        foreach (var layer in core.Layers)
        {
            h = Graph.constant(Layer.forward(pass, layer, h).Value);
            outputs.Add(h.Value);
        }

        return outputs;
    }

    /// <summary>Predictions for every sample of a data set.</summary>
    public Prediction Predict(Dataset data)
    {
        ArgumentNullException.ThrowIfNull(data);
        return Predict(data.Features());
    }

    /// <summary>
    /// Saves the weights in the safetensors format with PyTorch's names and layouts for an nn.Sequential
    /// ("0.weight" [out, in], "0.bias" [out], …) and the architecture and loss in the metadata. The file is
    /// written atomically: a temporary file renamed into place, so a crash never leaves half a model.
    /// Saving the same weights twice gives byte-identical files.
    /// </summary>
    public void Save(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var tensors = CoreModel.parameters(core)
            .Select(p => KeyValuePair.Create(p.Item1, ModelFile.FromParameter(p.Item1, p.Item2.Value)))
            .ToArray();
        var metadata = new Dictionary<string, string>
        {
            ["format"] = "pt",
            [ModelFile.ArchitectureKey] = ModelFile.Architecture(core.Inputs, core.Specs),
            [ModelFile.LossKey] = Loss.Name,
        };
        SafeTensors.Write(path, tensors, metadata);
    }

    internal IReadOnlyDictionary<string, float[]> CopyWeights() =>
        CoreModel.parameters(core).ToDictionary(p => p.Item1, p => p.Item2.Value.AsColumnMajorArray().ToArray());

    internal void RestoreWeights(IReadOnlyDictionary<string, float[]> weights)
    {
        foreach (var (name, node) in CoreModel.parameters(core).Select(p => (p.Item1, p.Item2)))
            weights[name].CopyTo(node.Value.AsColumnMajorArray(), 0);
    }

    void CheckFits(Dataset data, string name)
    {
        if (data.FeatureCount != Inputs)
            throw new ArgumentException($"the model takes {Inputs} features per sample, but the data has {data.FeatureCount}.", name);
        if (data.TargetCount != Outputs)
            throw new ArgumentException($"the model has {Outputs} outputs, but the data has {data.TargetCount} target columns.", name);
    }

    /// <inheritdoc/>
    public override string ToString() => Summary();
}
