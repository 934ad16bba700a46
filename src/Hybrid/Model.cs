using System.Diagnostics;
using System.Globalization;
using Hybrid.Core;
using Hybrid.Data;
using Hybrid.IO;
using Hybrid.Training;
using MathNet.Numerics.LinearAlgebra;
using CoreModel = Hybrid.Core.Sequential;

namespace Hybrid;

/// <summary>
/// A compiled network: layers with their weights (float32), a loss, an optimizer and a schedule.
/// Train it with <see cref="Fit"/>, measure it with <see cref="Evaluate"/>, use it with
/// <see cref="Predict(Matrix{float})"/>, and keep it with <see cref="Save"/> / <see cref="Network.Load"/>.
/// <para>
/// Threads: a model trains on one thread at a time; a second <see cref="Fit"/> while one runs (from another thread,
/// or from the first one's callback) throws <see cref="InvalidOperationException"/> and leaves the model as it was.
/// <see cref="Predict(Matrix{float})"/>, <see cref="Evaluate"/>, <see cref="LayerOutputs"/> and <see cref="Save"/> may
/// run on any number of threads at once (tested: 8 threads give the single-threaded results on every provider), but
/// not from another thread while <see cref="Fit"/> runs, where they would see weights mid-update: that is refused
/// with <see cref="InvalidOperationException"/> (do such work in a callback, which runs on the training thread
/// between epochs). Only <see cref="Fit"/> is guarded by a lock-free claim; the refusal of the others is a check on
/// entry, not a lock.
/// </para>
/// </summary>
public sealed class Model
{
    readonly Sequential<float> core;
    // The fused, allocation-free step when the layers and loss allow it; else the graph step.
    readonly FusedTrainer<float>? fused;
    readonly GraphTrainer<float>? graph;
    readonly Scheduler scheduler;
    // Separate streams derived from the one seed, so that e.g. adding dropout does not change the shuffling.
    readonly Random shuffling;
    readonly Random dropout;
    int epochsTrained;
    // The managed thread id of the Fit running now, or 0: claimed with Interlocked, so two Fits cannot both start.
    int trainingThread;

    internal Model(Sequential<float> core, Loss loss, Optimizer optimizer, Schedule? schedule, double? clipNorm, int seed)
    {
        this.core = core;
        Loss = loss;
        Optimizer = optimizer;
        Schedule = schedule ?? Schedule.Constant;
        Seed = seed;
        var clip = clipNorm is { } n ? Microsoft.FSharp.Core.FSharpOption<double>.Some(n) : null;
        if (FusedTrainer<float>.Supports(core, loss.Function))
            fused = new FusedTrainer<float>(core, loss.Function, optimizer.Settings, clip);
        else
            graph = new GraphTrainer<float>(core, loss.Function, optimizer.Settings, clip);
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
                LayerSpec.Graph g => g.rule.Name,
                _ => s.ToString(),
            }).ToArray();
        }
    }

    /// <summary>A one-line description: layers, parameter count, loss and optimizer.</summary>
    public string Description =>
        $"{string.Join(" → ", Layers)}; {ParameterCount:N0} parameters; loss {Loss}; {Optimizer}; schedule {Schedule}";

    /// <summary>
    /// A per-layer table like Keras' <c>model.summary()</c>: each layer's output width, parameter count and training path
    /// (fused kernels or the graph), and the totals; its <see cref="ModelSummary.ToString"/> is the table as text.
    /// </summary>
    public ModelSummary Summary()
    {
        var widths = CoreModel.widths(core.Inputs, core.Specs);
        var names = Layers;
        var counts = CoreModel.parameters(core).GroupBy(p => int.Parse(p.Item1[..p.Item1.IndexOf('.')], CultureInfo.InvariantCulture))
            .ToDictionary(g => g.Key, g => g.Sum(p => (long)p.Item2.Shape.Count));
        var rows = core.Specs.Select((s, i) => new LayerSummary(i, names[i], widths[i + 1], counts.GetValueOrDefault(i),
            fused is not null && FusedTrainer<float>.Fuses(s) ? "fused" : "graph")).ToArray();
        return new ModelSummary(core.Inputs, rows, Loss.Name, Optimizer.Description, Schedule.Description);
    }

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
    /// <param name="maxLossGrowth">
    /// Stop as diverged when a batch's loss exceeds this multiple of the mean loss over the run's first 64 samples (default 10⁴;
    /// <see cref="double.PositiveInfinity"/> turns it off). A NaN or infinite loss, and NaN or infinite weights
    /// (checked after every epoch), always stop the run.
    /// </param>
    /// <param name="augmentation">Seeded random shifts, rotations, scalings and stroke changes of each training image, drawn afresh every epoch (square grey images only).</param>
    /// <remarks>
    /// A <paramref name="batchSize"/> above the number of samples is clamped to it (full-batch training), as Keras and
    /// PyTorch's DataLoader do; one whose step buffers would not fit in memory is refused.
    /// </remarks>
    /// <exception cref="TrainingDivergedException">
    /// The run diverged: a NaN or infinite loss, an exploding loss, or non-finite weights (names the epoch, batch and reason).
    /// </exception>
    /// <exception cref="ArgumentException">The data does not fit the model, is empty, or an argument is out of range.</exception>
    /// <exception cref="InvalidOperationException">The model is already training (on another thread, or in this Fit's callback).</exception>
    public History Fit(
        Dataset train,
        int epochs = 1,
        int batchSize = 32,
        Dataset? validation = null,
        IReadOnlyList<Callback>? callbacks = null,
        IProgress<TrainingProgress>? progress = null,
        double maxLossGrowth = 1e4,
        CancellationToken cancellationToken = default,
        Augmentation? augmentation = null)
    {
        ArgumentNullException.ThrowIfNull(train);
        CheckFits(train, nameof(train));
        if (validation is not null) CheckFits(validation, nameof(validation));
        if (epochs < 1) throw new ArgumentOutOfRangeException(nameof(epochs), epochs, "Fit: at least one epoch");
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "Fit: the batch size must be at least 1");
        batchSize = Math.Min(batchSize, train.Count);
        if (ModelLimits.StepBytes(core, batchSize) is var step && step > ModelLimits.Memory / 2)
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize,
                $"Fit: a batch of {batchSize:N0} needs {Hybrid.IO.Files.Size(step)} of step buffers, more than half the {Hybrid.IO.Files.Size(ModelLimits.Memory)} of memory here; use a smaller batch");
        var divergence = new Divergence(maxLossGrowth);
        callbacks ??= [];
        foreach (var c in callbacks) ArgumentNullException.ThrowIfNull(c, nameof(callbacks));

        var me = Environment.CurrentManagedThreadId;
        var running = Interlocked.CompareExchange(ref trainingThread, me, 0);
        if (running != 0)
            throw new InvalidOperationException(running == me
                ? "Fit: this model is already training: Fit was called again from its own callback or progress handler on the training thread."
                : "Fit: this model is already training on another thread; a model trains on one thread at a time. " +
                  "This call changed nothing: wait for the other Fit to return, or train a separate model.");
        try
        {
            return Train(train, epochs, batchSize, validation, callbacks, progress, divergence, augmentation, cancellationToken);
        }
        finally
        {
            Volatile.Write(ref trainingThread, 0);
        }
    }

    History Train(
        Dataset train, int epochs, int batchSize, Dataset? validation, IReadOnlyList<Callback> callbacks,
        IProgress<TrainingProgress>? progress, Divergence divergence, Augmentation? augmentation, CancellationToken cancellationToken)
    {
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

                divergence.Loss(epoch, b + 1, loss, size, results);
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

            Divergence.Weights(Parameters, epoch, batches, lossSum / seen, results);
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
        var result = graph!.Step(x, y, lr, dropout);
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
    bool Classifies => Outputs > 1 ? Loss.Function.IsSoftmaxCrossEntropy || Loss.Function.IsCategoricalCrossEntropy || Loss.Function.IsMeanSquaredError : true;

    /// <summary>
    /// The class row <paramref name="i"/> of column-major rows × Outputs values stands for: the largest output, or for
    /// one output whether it is above the threshold (logits at 0, that is σ(z) &gt; 0.5; probabilities and regression outputs at 0.5).
    /// </summary>
    int ClassAt(float[] columns, int rows, int i)
    {
        if (Outputs == 1) return columns[i] > (Loss.Function.IsBinaryCrossEntropyWithLogits ? 0f : 0.5f) ? 1 : 0;
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
    /// <param name="batchSize">
    /// Samples per forward pass (memory only; the result does not depend on it): at least 1; clamped to the data, and
    /// lowered for a model so deep or wide that a pass would not fit in memory.
    /// </param>
    /// <exception cref="ArgumentException">The data does not fit the model, or is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchSize"/> is below 1.</exception>
    /// <exception cref="InvalidOperationException">The model is training on another thread.</exception>
    public Evaluation Evaluate(Dataset data, int batchSize = 1000)
    {
        ArgumentNullException.ThrowIfNull(data);
        CheckFits(data, nameof(data));
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "Evaluate: the batch size must be at least 1");
        RefuseWhileTraining(nameof(Evaluate));
        batchSize = ModelLimits.EvaluationRows(core, Math.Min(batchSize, data.Count));
        var order = Enumerable.Range(0, data.Count).ToArray();
        var classes = data.Labels is null ? 0 : Math.Max(Outputs, 2);
        var confusion = data.Labels is null ? null : new int[classes, classes];
        double lossSum = 0;
        var correct = 0;
        for (var start = 0; start < data.Count; start += batchSize)
        {
            var size = Math.Min(batchSize, data.Count - start);
            var (x, y) = data.Batch(order, start, size);
            var output = CoreModel.evaluate(core, x);
            var loss = LossFunctionModule.graph(Loss.Function, Graph.constant(output), Graph.constant(y)).Value[0, 0];
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
    /// <exception cref="ArgumentException">The matrix does not have <see cref="Inputs"/> columns.</exception>
    /// <exception cref="InvalidOperationException">The model is training on another thread.</exception>
    public Prediction Predict(Matrix<float> features)
    {
        ArgumentNullException.ThrowIfNull(features);
        if (features.ColumnCount != Inputs)
            throw new ArgumentException($"Predict: the model takes {Inputs} features per sample, but the matrix has {features.ColumnCount} columns.", nameof(features));
        RefuseWhileTraining(nameof(Predict));
        var output = Forward(features);
        return new Prediction(LossFunctionModule.predictions(Loss.Function, output), Classes(output));
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
        RefuseWhileTraining(nameof(LayerOutputs));
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
    /// <exception cref="InvalidOperationException">The model is training on another thread (the file would mix weights of different steps).</exception>
    public void Save(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        RefuseWhileTraining(nameof(Save));
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

    /// <summary>
    /// Writes the model as ONNX (opset <see cref="Onnx.OnnxFormat.Opset"/>), for ONNX Runtime, ML.NET, Windows ML and the
    /// rest: input <c>input</c> float32 [N, <see cref="Inputs"/>] with a symbolic batch dimension N; output <c>output</c>
    /// [N, <see cref="Outputs"/>], the last layer's values; and, when the loss defines them, <c>probabilities</c> (what
    /// <see cref="Predict(Matrix{float})"/> returns). Dense layers become Gemm (transB = 1, weights [out, in] as
    /// stored), activations their ONNX ops, and dropout nothing (it is the identity at inference). The architecture
    /// and loss go into the metadata, so <see cref="Network.LoadOnnx"/> restores the model exactly. The file is written
    /// atomically, and the same weights give the same bytes.
    /// </summary>
    /// <exception cref="NotSupportedException">A layer has no ONNX form; the message names it.</exception>
    public void ExportOnnx(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        Onnx.OnnxExport.Write(path, Onnx.OnnxExport.Build(core, Loss, Layers, Description));
    }

    internal IReadOnlyDictionary<string, float[]> CopyWeights() =>
        CoreModel.parameters(core).ToDictionary(p => p.Item1, p => p.Item2.Value.AsColumnMajorArray().ToArray());

    internal void RestoreWeights(IReadOnlyDictionary<string, float[]> weights)
    {
        foreach (var (name, node) in CoreModel.parameters(core).Select(p => (p.Item1, p.Item2)))
            weights[name].CopyTo(node.Value.AsColumnMajorArray(), 0);
    }

    /// <summary>The raw outputs for samples given one per row, in passes of as many rows as fit in memory.</summary>
    Matrix<float> Forward(Matrix<float> features)
    {
        var rows = ModelLimits.EvaluationRows(core, features.RowCount);
        if (rows == features.RowCount) return CoreModel.evaluate(core, features);
        var result = Matrix<float>.Build.Dense(features.RowCount, Outputs);
        for (var start = 0; start < features.RowCount; start += rows)
        {
            var size = Math.Min(rows, features.RowCount - start);
            result.SetSubMatrix(start, 0, CoreModel.evaluate(core, features.SubMatrix(start, size, 0, Inputs)));
        }

        return result;
    }

    /// <summary>Refuses work that reads the weights from another thread while Fit updates them.</summary>
    void RefuseWhileTraining(string operation)
    {
        var running = Volatile.Read(ref trainingThread);
        if (running != 0 && running != Environment.CurrentManagedThreadId)
            throw new InvalidOperationException(
                $"{operation}: the model is training on another thread, so its weights are changing; call it after Fit returns, " +
                "or from a callback (which runs on the training thread between epochs).");
    }

    void CheckFits(Dataset data, string name)
    {
        if (data.Count == 0) throw new ArgumentException($"the data set '{name}' has no samples.", name);
        if (data.FeatureCount != Inputs)
            throw new ArgumentException($"the model takes {Inputs} features per sample, but the data has {data.FeatureCount}.", name);
        if (data.TargetCount != Outputs)
            throw new ArgumentException($"the model has {Outputs} outputs, but the data has {data.TargetCount} target columns.", name);
    }

    /// <inheritdoc/>
    public override string ToString() => Description;
}
