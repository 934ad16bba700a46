using System.Diagnostics;
using System.Globalization;
using Hybrid.Core;
using Hybrid.Data;
using Hybrid.IO;
using Hybrid.Training;
using MathNet.Numerics.LinearAlgebra;
using CoreModel = Hybrid.Core.Sequential;
using System.Runtime.CompilerServices;

namespace Hybrid;

/// <summary>
/// A compiled network: layers with their weights (float32), a loss, an optimizer and a schedule.
/// Train it with <see cref="Fit"/>, measure it with <see cref="Evaluate(Dataset, int)"/>, use it with
/// <see cref="Predict(Matrix{float})"/>, and keep it with <see cref="Save"/> / <see cref="Network.Load"/>.
/// <para>
/// Threads: a model trains on one thread at a time; a second <see cref="Fit"/> while one runs (from another thread,
/// or from the first one's callback) throws <see cref="InvalidOperationException"/> and leaves the model as it was.
/// <see cref="Predict(Matrix{float})"/>, <see cref="Evaluate(Dataset, int)"/>, <see cref="LayerOutputs"/> and <see cref="Save"/> may
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
    readonly double? clipNorm;
    // Separate streams derived from the one seed, so that e.g. adding dropout does not change the shuffling; their
    // states go into a checkpoint, so a resumed run draws what an uninterrupted one would.
    readonly SeededRandom shuffling;
    readonly SeededRandom dropout;
    int epochsTrained;
    readonly List<EpochResult> history = [];
    // The managed thread id of the Fit running now, or 0: claimed with Interlocked, so two Fits cannot both start.
    int trainingThread;
    /// <summary>Whether a Fit has compiled the fused step's methods before its first epoch (<see cref="CompileStep"/>); tests set it to train without.</summary>
    internal bool StepCompiled { get; set; }

    internal Model(Sequential<float> core, Loss loss, Optimizer optimizer, Schedule? schedule, double? clipNorm, int seed)
    {
        this.core = core;
        Outputs = CoreModel.outputs(core);
        Loss = loss;
        Optimizer = optimizer;
        Schedule = schedule ?? Schedule.Constant;
        Seed = seed;
        this.clipNorm = clipNorm;
        var clip = clipNorm is { } n ? Microsoft.FSharp.Core.FSharpOption<double>.Some(n) : null;
        if (FusedTrainer<float>.Supports(core, loss.Function))
            fused = new FusedTrainer<float>(core, loss.Function, optimizer.Settings, clip);
        else
            graph = new GraphTrainer<float>(core, loss.Function, optimizer.Settings, clip);
        scheduler = new Scheduler(Schedule.Value, optimizer.LearningRate);
        shuffling = new SeededRandom(unchecked(seed * 7919 + 1));
        dropout = new SeededRandom(unchecked(seed * 104729 + 2));
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
    // Worked out once: the layers never change, and every batch reads it per sample (the widths' scan allocates).
    public int Outputs { get; }

    /// <summary>Number of trainable weights and biases.</summary>
    public int ParameterCount => CoreModel.parameterCount(core);

    /// <summary>Epochs trained so far, over every <see cref="Fit"/> call (and before a checkpoint, for a model loaded from one).</summary>
    public int EpochsTrained => epochsTrained;

    /// <summary>
    /// The result of every epoch trained so far, over every <see cref="Fit"/> call, as <see cref="Fit"/> returned them
    /// (and those before a checkpoint, for a model loaded from one): element i is epoch i + 1.
    /// </summary>
    public IReadOnlyList<EpochResult> TrainingHistory => history.ToArray();

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
    /// <param name="validation">Data to evaluate after every epoch: held out from the training data (or use <paramref name="validationSplit"/>), not the test set, which is for one evaluation at the end.</param>
    /// <param name="callbacks">Early stopping, checkpoints, or your own.</param>
    /// <param name="progress">Receives progress after every batch.</param>
    /// <param name="cancellationToken">Stops training before the next batch, undoing the unfinished epoch (see the remarks).</param>
    /// <param name="maxLossGrowth">
    /// Stop as diverged when a batch's loss exceeds this multiple of the mean loss over the run's first 64 samples (default 10⁴;
    /// <see cref="double.PositiveInfinity"/> turns it off). A NaN or infinite loss, and NaN or infinite weights
    /// (checked after every epoch), always stop the run.
    /// </param>
    /// <param name="augmentation">Seeded random shifts, rotations, scalings and stroke changes of each training image, drawn afresh every epoch (square grey images only).</param>
    /// <param name="validationSplit">
    /// Hold out this fraction of <paramref name="train"/> (in (0, 1); 0, the default, holds out nothing) as the validation
    /// data, as <see cref="Dataset.StratifiedSplit"/> with the model's <see cref="Seed"/> chooses it: the same fraction
    /// of every class, the same samples in every call. The held-out samples are never trained on; every epoch's
    /// <see cref="EpochResult.ValidationLoss"/> and <see cref="EpochResult.ValidationAccuracy"/> are measured on them.
    /// Give either this or <paramref name="validation"/>.
    /// </param>
    /// <remarks>
    /// A <paramref name="batchSize"/> above the number of samples is clamped to it (full-batch training), as Keras and
    /// PyTorch's DataLoader do; one whose step buffers would not fit in memory is refused.
    /// <para>
    /// Cancelling through <paramref name="cancellationToken"/> stops before the next batch and throws
    /// <see cref="TrainingCanceledException"/>, which carries the results of the epochs finished in this call. The model
    /// is left at the end of the <b>last finished epoch</b>: the batches of the cancelled epoch are undone (weights,
    /// optimizer state and random generators are put back as they were when that epoch began), so
    /// <see cref="EpochsTrained"/> and <see cref="TrainingHistory"/> describe the weights, and a later <see cref="Fit"/>
    /// (or a checkpoint saved now) continues exactly as if the epoch had never started. (That costs one copy of the
    /// weights and optimizer state per epoch, taken only when the token can be cancelled.)
    /// </para>
    /// </remarks>
    /// <exception cref="TrainingDivergedException">
    /// The run diverged: a NaN or infinite loss, an exploding loss, or non-finite weights (names the epoch, batch and reason).
    /// </exception>
    /// <exception cref="ArgumentException">The data does not fit the model, is empty, or an argument is out of range.</exception>
    /// <exception cref="InvalidOperationException">The model is already training (on another thread, or in this Fit's callback).</exception>
    /// <exception cref="TrainingCanceledException">The token was cancelled; the model is at the end of the last finished epoch.</exception>
    public History Fit(
        Dataset train,
        int epochs = 1,
        int batchSize = 32,
        Dataset? validation = null,
        IReadOnlyList<Callback>? callbacks = null,
        IProgress<TrainingProgress>? progress = null,
        double maxLossGrowth = 1e4,
        CancellationToken cancellationToken = default,
        Augmentation? augmentation = null,
        double validationSplit = 0)
    {
        ArgumentNullException.ThrowIfNull(train);
        CheckFits(train, nameof(train));
        if (validationSplit != 0)
        {
            if (!(validationSplit > 0 && validationSplit < 1))
                throw new ArgumentOutOfRangeException(nameof(validationSplit), validationSplit, "Fit: the validation split must be a fraction strictly between 0 and 1 (or 0 for none)");
            if (validation is not null)
                throw new ArgumentException("Fit: give validation data or a validation split, not both.", nameof(validationSplit));
            (validation, train) = train.StratifiedSplit(validationSplit, Seed);
        }

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

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // runs every batch: optimised from its first call, as the kernels of FastKernels.cs
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
        // Unaugmented sparse data: each batch's nonzeros gathered from the samples' lists, found once per data set.
        var sparse = fused is { IndexesInputs: true } && augmenter is null && Providers.Kernels<float>() is ISparseKernels<float>
                     && train.Nonzeros(FusedTrainer<float>.SparseDensity) is { } nonzeros
            ? new SparseBatch<float>(nonzeros)
            : null;
        if (fused is not null && !StepCompiled) StepCompiled = CompileStep(train, batchSize, filler, outputs, sparse);
        var units = AccuracyUnits(train);
        for (var e = 0; e < epochs && !stopped; e++)
        {
            var start = cancellationToken.CanBeCanceled ? Snapshot() : null;
            var epoch = epochsTrained + 1;
            var lr = scheduler.Rate(epochsTrained);
            var order = Dataset.Permutation(train.Count, shuffling);
            var clock = Stopwatch.StartNew();
            double lossSum = 0;
            long correct = 0;
            var seen = 0;
            for (var b = 0; b < batches; b++)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    Restore(start!);
                    throw new TrainingCanceledException(results.ToArray(), cancellationToken);
                }

                var first = b * batchSize;
                var size = Math.Min(batchSize, train.Count - first);
                double loss;
                if (fused is not null)
                {
                    filler.Next(order, first, epoch);
                    if (sparse is not null) (sparse.Order, sparse.First) = (order, first);
                    loss = fused.Step(Providers.Kernels<float>(), size, filler.Fill, lr, dropout, outputs.AsSpan(0, size * Outputs), sparse);
                    if (double.IsFinite(loss))
                        correct += units == 1 ? CountCorrect(outputs, size, train, order, first) : CountCorrectLabels(outputs, size, train, order, first);
                }
                else
                {
                    var (x, y) = augmenter?.Batch(train, order, first, size, epoch) ?? train.Batch(order, first, size);
                    (loss, var output) = Step(x, y, lr);
                    if (double.IsFinite(loss)) correct += units == 1 ? Correct(output, y) : CorrectLabels(output, y);
                }

                divergence.Loss(epoch, b + 1, loss, size, results);
                lossSum += loss * size;
                seen += size;
                if (progress is not null)
                {
                    var elapsed = clock.Elapsed;
                    var rate = seen / Math.Max(elapsed.TotalSeconds, 1e-9);
                    progress.Report(new TrainingProgress(e + 1, epochs, b + 1, batches, lossSum / seen,
                        Accuracy(correct, seen, units), rate, elapsed,
                        TimeSpan.FromSeconds((train.Count - seen) / rate)));
                }
            }

            Divergence.Weights(Parameters, epoch, batches, lossSum / seen, results);
            var seconds = clock.Elapsed.TotalSeconds;
            var checkedOn = validation is null ? null : Evaluate(validation);
            var result = new EpochResult(epoch, lossSum / seen, Accuracy(correct, seen, units),
                checkedOn?.Loss, checkedOn?.Accuracy, lr, seconds);
            results.Add(result);
            history.Add(result);
            epochsTrained++;
            scheduler.Observe(result.ValidationLoss ?? result.Loss);
            foreach (var c in callbacks)
                if (!c.OnEpochEnd(this, result))
                    stopped = true;
        }

        foreach (var c in callbacks) c.OnTrainEnd(this);
        return new History(results, stopped);
    }

    /// <summary>What an epoch changes, as it was when the epoch began: the weights, the optimizer's state and the generators.</summary>
    sealed record EpochStart(IReadOnlyDictionary<string, float[]> Weights, TrainerState<float> Optimizer, int[] Shuffling, int[] Dropout);

    EpochStart Snapshot() => new(CopyWeights(), ExportOptimizer(), shuffling.State, dropout.State);

    void Restore(EpochStart start)
    {
        RestoreWeights(start.Weights);
        RestoreOptimizer(start.Optimizer);
        shuffling.Restore(start.Shuffling);
        dropout.Restore(start.Dropout);
    }

    TrainerState<float> ExportOptimizer() => fused?.Export() ?? graph!.Export();

    void RestoreOptimizer(TrainerState<float> state)
    {
        if (fused is not null) fused.Restore(state);
        else graph!.Restore(state);
    }

    /// <summary>Each parameter's name and its matrix's rows and columns (its storage is column-major).</summary>
    IReadOnlyList<(string Name, int Rows, int Columns)> ParameterShapes() => ParameterShapes(core);

    /// <summary>The state a checkpoint keeps.</summary>
    TrainingState CaptureTraining() =>
        new(epochsTrained, Seed, Optimizer, Schedule, clipNorm, ExportOptimizer(), scheduler.State, shuffling.State, dropout.State, history.ToArray());

    /// <summary>
    /// Puts back a checkpoint's state into a model just built from its weights with its seed, schedule and clipping;
    /// with <paramref name="optimizerState"/> false (another optimizer was asked for) the optimizer's buffers and what
    /// the schedule has seen start afresh.
    /// </summary>
    internal void RestoreTraining(TrainingState state, bool optimizerState)
    {
        epochsTrained = state.Epochs;
        history.Clear();
        history.AddRange(state.History);
        if (shuffling.Restore(state.Shuffling) is { } s) throw new InvalidDataException($"the shuffling generator's state {s}");
        if (dropout.Restore(state.Dropout) is { } d) throw new InvalidDataException($"the dropout generator's state {d}");
        if (!optimizerState) return;
        RestoreOptimizer(state.Trainer);
        scheduler.Restore(state.Scheduler);
    }

    internal static IReadOnlyList<(string Name, int Rows, int Columns)> ParameterShapes(Sequential<float> core) =>
        CoreModel.parameters(core).Select(p => (p.Item1, p.Item2.Value.RowCount, p.Item2.Value.ColumnCount)).ToArray();

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
            Fill = [MethodImpl(MethodImplOptions.AggressiveOptimization)] (x, y) =>
            {
                // From the targets: the features are empty when the step gathered the batch's nonzeros instead.
                var rows = y.Length / this.data.TargetCount;
                this.data.Batch(order, start, rows, x, y);
                this.augmenter?.Apply(x, rows, epoch, order, start);
            };
        }

        public Action<Span<float>, Span<float>> Fill { get; }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Next(int[] order, int start, int epoch)
        {
            this.order = order;
            this.start = start;
            this.epoch = epoch;
        }
    }

    /// <summary>
    /// Compiles the methods of a training step before the first epoch's clock starts, by one step of a scratch model
    /// with these layers (hidden widths capped at 256, fresh weights, its own optimizer state and dropout generator) on
    /// the first samples, through the same kernels, batch filler and accuracy count. The runtime compiles each method
    /// on its first call (optimised at once, see Hot.fs), and OpenBLAS and the worker threads start on theirs: in the
    /// first batch that took 0.05–0.1 s, a third of a 784-128-10 epoch. This model, its optimizer, its generators and
    /// the data are only read, so no number of the training changes. A model with a user-defined layer or activation
    /// is left to compile in its first batch (its code is the user's, run only when the user trains).
    /// </summary>
    /// <returns>True when the step was compiled.</returns>
    bool CompileStep(Dataset train, int batchSize, BatchFiller filler, float[] outputs, SparseBatch<float>? sparse)
    {
        const int widest = 256;
        var specs = core.Specs;
        if (specs.Any(s => s.IsGraph || s is LayerSpec.Activation { Item.IsCustom: true })) return false;
        var last = Array.FindLastIndex(specs, s => s.IsDense); // keeps its width: the loss sees the real outputs
        var scratchSpecs = specs.Select((s, i) => s is LayerSpec.Dense d
            ? LayerSpec.NewDense(i == last ? d.outputs : Math.Min(d.outputs, widest), Initializer.GlorotUniform, Initializer.Zeros)
            : s).ToArray();
        var scratch = CoreModel.create<float>(new Random(0), core.Inputs, scratchSpecs);
        var clip = clipNorm is { } n ? Microsoft.FSharp.Core.FSharpOption<double>.Some(n) : null;
        var trainer = new FusedTrainer<float>(scratch, Loss.Function, Optimizer.Settings, clip);
        var order = Enumerable.Range(0, batchSize).ToArray();
        filler.Next(order, 0, epochsTrained + 1);
        if (sparse is not null) (sparse.Order, sparse.First) = (order, 0);
        var loss = trainer.Step(Providers.Kernels<float>(), batchSize, filler.Fill, Optimizer.LearningRate, new Random(0), outputs.AsSpan(0, batchSize * Outputs), sparse);
        if (double.IsFinite(loss)) CountCorrect(outputs, batchSize, train, order, 0);
        new Divergence(double.PositiveInfinity).Loss(1, 1, double.IsFinite(loss) ? loss : 0, batchSize, []);
        return true;
    }

    /// <summary>Correct predictions in a fused step's outputs (column-major, rows × Outputs) against the samples' classes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // runs every batch: optimised from its first call, as the kernels of FastKernels.cs
    int CountCorrect(float[] outputs, int rows, Dataset data, int[] order, int start)
    {
        var correct = 0;
        for (var i = 0; i < rows; i++)
            if (ClassAt(outputs, rows, i) == data.ClassOf(order[start + i])) correct++;
        return correct;
    }

    /// <summary>Correct labels in a fused step's outputs (column-major, rows × Outputs) against the samples' targets (multi-label: see AccuracyUnits).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // runs every batch: optimised from its first call, as the kernels of FastKernels.cs
    int CountCorrectLabels(float[] outputs, int rows, Dataset data, int[] order, int start)
    {
        var threshold = LabelThreshold;
        var correct = 0;
        for (var i = 0; i < rows; i++)
        {
            var target = data.TargetRow(order[start + i]);
            for (var j = 0; j < Outputs; j++)
                if (outputs[j * rows + i] > threshold == target[j] > 0.5f) correct++;
        }

        return correct;
    }

    /// <summary>Correct labels in a batch of outputs against its targets (multi-label: see AccuracyUnits).</summary>
    int CorrectLabels(Matrix<float> output, Matrix<float> target)
    {
        var threshold = LabelThreshold;
        var correct = 0;
        for (var j = 0; j < output.ColumnCount; j++)
        for (var i = 0; i < output.RowCount; i++)
            if (output[i, j] > threshold == target[i, j] > 0.5f) correct++;
        return correct;
    }

    /// <summary>Where an output stands for a positive label or class: above 0 for a logit (σ(z) &gt; 0.5), else above 0.5.</summary>
    float LabelThreshold => Loss.Function.IsBinaryCrossEntropyWithLogits ? 0f : 0.5f;

    /// <summary>
    /// What a correct prediction on <paramref name="data"/> counts: 1 for a sample's class (outputs that stand for classes,
    /// or data with class labels), else Outputs. The outputs that do not stand for classes are several under binary
    /// cross-entropy (a sigmoid or a logit per label): independent labels, whose accuracy is the fraction of all of them
    /// predicted right (Keras's binary accuracy; 1 − scikit-learn's hamming_loss), an output above LabelThreshold against a
    /// target above 0.5.
    /// </summary>
    int AccuracyUnits(Dataset data) => Classifies || data.Labels is not null ? 1 : Outputs;

    static double Accuracy(long correct, int samples, int units) => (double)correct / ((long)samples * units);

    /// <summary>True when outputs are classes: one-hot targets (several outputs), or one output read as a probability.</summary>
    bool Classifies
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)] // runs every batch: optimised from its first call, as the kernels of FastKernels.cs
        get => Outputs > 1 ? Loss.Function.IsSoftmaxCrossEntropy || Loss.Function.IsCategoricalCrossEntropy || Loss.Function.IsMeanSquaredError : true;
    }

    /// <summary>
    /// The class row <paramref name="i"/> of column-major rows × Outputs values stands for: the largest output, or for
    /// one output whether it is above the threshold (logits at 0, that is σ(z) &gt; 0.5; probabilities and regression outputs at 0.5).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // runs every batch: optimised from its first call, as the kernels of FastKernels.cs
    int ClassAt(float[] columns, int rows, int i) => ClassAt(columns.AsSpan(i), rows);

    /// <summary>ClassAt for Outputs values <paramref name="stride"/> apart from values[0] (1: a row of targets).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // runs every batch: optimised from its first call, as the kernels of FastKernels.cs
    int ClassAt(ReadOnlySpan<float> values, int stride)
    {
        if (Outputs == 1) return values[0] > LabelThreshold ? 1 : 0;
        var best = 0;
        for (var j = 1; j < Outputs; j++)
            if (values[j * stride] > values[best * stride]) best = j;
        return best;
    }

    /// <summary>Evaluate's and Forward's batches of at least this many samples take the fused forward pass (smaller ones, the graph).</summary>
    const int FusedEvaluationRows = 64;

    /// <summary>
    /// The fused trainer, when batches of <paramref name="batch"/> samples may take its forward pass: every layer fused,
    /// at least <see cref="FusedEvaluationRows"/> samples, and its buffers within a quarter of memory; else null (the graph).
    /// </summary>
    FusedTrainer<float>? FusedForward(int batch) =>
        fused is { Evaluates: true } && batch >= FusedEvaluationRows && ModelLimits.StepBytes(core, batch) <= ModelLimits.Memory / 4 ? fused : null;

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

    /// <summary>
    /// The mean loss and accuracy on <paramref name="data"/>; when it has class labels, also the confusion matrix and
    /// each class's precision, recall, F1 and support with their macro and weighted averages
    /// (<see cref="Evaluation.PerClass"/>, as scikit-learn's <c>classification_report</c>). The predicted class is the
    /// largest output, or for one output (a binary model) whether it is above 0 (a logit) or 0.5 (a probability);
    /// with labels, accuracy is the fraction of labels predicted whatever the loss. Without labels, several outputs under
    /// binary cross-entropy are independent labels, and accuracy is the fraction of all of them predicted right (an output
    /// above 0 or 0.5 against a target above 0.5; Keras's binary accuracy). Dropout is off.
    /// </summary>
    /// <param name="data">Samples to evaluate.</param>
    /// <param name="batchSize">
    /// Samples per forward pass (memory only; the result does not depend on it beyond float rounding): at least 1; clamped
    /// to the data, and lowered for a model so deep or wide that a pass would not fit in memory. Whole batches of 64 and
    /// more take the training step's fused forward pass and kernels (several times faster than the graph's), the rest the graph.
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
        var units = AccuracyUnits(data);
        double lossSum = 0;
        long correct = 0;
        // Whole batches on the fused step's forward pass and kernels (allocation-free after the first, the first layer's
        // products sparse on sparse inputs); a last, smaller batch, a small data set, a graph layer and step buffers that
        // would take more than a quarter of memory on the graph.
        var fast = FusedForward(batchSize);
        var filler = fast is null ? null : new BatchFiller(data, null);
        var outputs = fast is null ? [] : new float[batchSize * Outputs];
        for (var start = 0; start < data.Count; start += batchSize)
        {
            var size = Math.Min(batchSize, data.Count - start);
            // The batch's outputs, column-major, from either path; then one count for both.
            float[] columns;
            if (fast is not null && size == batchSize)
            {
                filler!.Next(order, start, epochsTrained + 1);
                lossSum += fast.Evaluate(Providers.Kernels<float>(), size, filler.Fill, outputs) * size;
                columns = outputs;
            }
            else
            {
                var (x, y) = data.Batch(order, start, size);
                var output = CoreModel.evaluate(core, x);
                var loss = LossFunctionModule.graph(Loss.Function, Graph.constant(output), Graph.constant(y)).Value[0, 0];
                lossSum += loss * size;
                columns = output.AsColumnMajorArray() ?? output.ToColumnMajorArray();
            }

            if (units > 1)
            {
                correct += CountCorrectLabels(columns, size, data, order, start);
                continue;
            }

            for (var i = 0; i < size; i++)
            {
                var predicted = ClassAt(columns, size, i);
                if (predicted == (confusion is null ? ClassAt(data.TargetRow(start + i), 1) : data.Labels![start + i])) correct++;
                if (confusion is not null) confusion[data.Labels![start + i], predicted]++;
            }
        }

        // With class labels, accuracy is the fraction of labels predicted, whatever the loss (a sigmoid per class under
        // binary cross-entropy too); without, it is defined where outputs stand for classes, and for multi-label outputs
        // it is the fraction of all labels predicted right.
        return new Evaluation(lossSum / data.Count, Accuracy(correct, data.Count, units), confusion, data.Count);
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

    /// <summary>The prediction for one sample, given as its <see cref="Inputs"/> features. Dropout is off.</summary>
    /// <exception cref="ArgumentException">The sample does not have <see cref="Inputs"/> features (for several samples, pass <c>float[][]</c> or <c>float[,]</c>).</exception>
    public Prediction Predict(float[] sample)
    {
        ArgumentNullException.ThrowIfNull(sample);
        return Predict((ReadOnlySpan<float>)sample);
    }

    /// <summary>The prediction for one sample, given as its <see cref="Inputs"/> features. Dropout is off.</summary>
    /// <exception cref="ArgumentException">The sample does not have <see cref="Inputs"/> features.</exception>
    public Prediction Predict(ReadOnlySpan<float> sample) => Predict(OneSample(sample, nameof(Predict)));

    /// <summary>Predictions for samples given one <c>float[]</c> each. Dropout is off.</summary>
    /// <exception cref="ArgumentException">No samples, or a sample that is null or does not have <see cref="Inputs"/> features (the message names it).</exception>
    public Prediction Predict(float[][] samples) => Predict(SampleRows(samples, nameof(Predict)));

    /// <summary>Predictions for samples given as a samples × features array (row i is sample i). Dropout is off.</summary>
    /// <exception cref="ArgumentException">No samples, or not <see cref="Inputs"/> columns.</exception>
    public Prediction Predict(float[,] samples) => Predict(SampleRows(samples, nameof(Predict)));

    /// <summary>The loss and accuracy on one sample of the given class (see <see cref="Evaluate(Dataset, int)"/>).</summary>
    public Evaluation Evaluate(float[] sample, int label)
    {
        ArgumentNullException.ThrowIfNull(sample);
        return Evaluate((ReadOnlySpan<float>)sample, label);
    }

    /// <summary>The loss and accuracy on one sample of the given class (see <see cref="Evaluate(Dataset, int)"/>).</summary>
    public Evaluation Evaluate(ReadOnlySpan<float> sample, int label) =>
        Evaluate(Labelled(OneSample(sample, nameof(Evaluate)).ToRowMajorArray(), 1, [label]));

    /// <summary>
    /// The loss, accuracy and per-class metrics on samples given one <c>float[]</c> each with their classes (0 or 1
    /// for a one-output model); see <see cref="Evaluate(Dataset, int)"/>.
    /// </summary>
    public Evaluation Evaluate(float[][] samples, IReadOnlyList<int> labels)
    {
        var rows = SampleRows(samples, nameof(Evaluate));
        return Evaluate(Labelled(rows.ToRowMajorArray(), rows.RowCount, labels));
    }

    /// <summary>
    /// The loss, accuracy and per-class metrics on samples given as a samples × features array (row i is sample i)
    /// with their classes (0 or 1 for a one-output model); see <see cref="Evaluate(Dataset, int)"/>.
    /// </summary>
    public Evaluation Evaluate(float[,] samples, IReadOnlyList<int> labels)
    {
        var rows = SampleRows(samples, nameof(Evaluate));
        return Evaluate(Labelled(rows.ToRowMajorArray(), rows.RowCount, labels));
    }

    /// <summary>Samples with their classes as a data set this model's loss reads: one-hot for several outputs, 0/1 for one.</summary>
    Dataset Labelled(float[] rowMajor, int count, IReadOnlyList<int> labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        if (labels.Count != count) throw new ArgumentException($"Evaluate: {count} samples but {labels.Count} labels.", nameof(labels));
        return Outputs == 1 ? Dataset.Binary(rowMajor, Inputs, labels) : Dataset.FromLabels(rowMajor, Inputs, labels.ToArray(), Outputs);
    }

    Matrix<float> OneSample(ReadOnlySpan<float> sample, string operation)
    {
        if (sample.Length != Inputs)
            throw new ArgumentException(
                $"{operation}: the model takes {Inputs} features per sample, but the sample has {sample.Length}" +
                (sample.Length > Inputs && sample.Length % Inputs == 0 ? $" ({sample.Length / Inputs} samples' worth? pass them as float[][] or float[,], one row each)" : "") + ".",
                nameof(sample));
        return Matrix<float>.Build.Dense(1, Inputs, sample.ToArray());
    }

    Matrix<float> SampleRows(float[][] samples, string operation)
    {
        ArgumentNullException.ThrowIfNull(samples);
        if (samples.Length == 0) throw new ArgumentException($"{operation}: there are no samples.", nameof(samples));
        for (var i = 0; i < samples.Length; i++)
            if (samples[i] is null || samples[i].Length != Inputs)
                throw new ArgumentException(
                    $"{operation}: the model takes {Inputs} features per sample, but sample {i} {(samples[i] is null ? "is null" : $"has {samples[i].Length}")}.",
                    nameof(samples));
        return Matrix<float>.Build.Dense(samples.Length, Inputs, (i, j) => samples[i][j]);
    }

    Matrix<float> SampleRows(float[,] samples, string operation)
    {
        ArgumentNullException.ThrowIfNull(samples);
        if (samples.GetLength(0) == 0) throw new ArgumentException($"{operation}: there are no samples.", nameof(samples));
        if (samples.GetLength(1) != Inputs)
            throw new ArgumentException($"{operation}: the model takes {Inputs} features per sample, but the array has {samples.GetLength(1)} columns.", nameof(samples));
        // .NET's float[,] is row-major; MathNet's builder is column-major, so the rows are copied one element at a time.
        return Matrix<float>.Build.Dense(samples.GetLength(0), Inputs, (i, j) => samples[i, j]);
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
        var (tensors, metadata) = FileContents();
        SafeTensors.Write(path, tensors, metadata);
    }

    /// <summary>
    /// Saves what <see cref="Save"/> does and the training state, so that <see cref="Network.Load"/> and
    /// <see cref="Fit"/> continue exactly where training stopped: <see cref="EpochsTrained"/> and
    /// <see cref="TrainingHistory"/>, the seed, optimizer, schedule and gradient clipping, the optimizer's step count
    /// and buffers (Adam's moments, SGD's and RMSProp's momentum, RMSProp's running squares), what a
    /// ReduceOnPlateau schedule has seen, and the shuffling and dropout generators. Training 3 epochs, saving a
    /// checkpoint, loading it and training 2 more gives the weights, byte for byte, of 5 epochs straight.
    /// The buffers are tensors named as PyTorch names optimizer state ("optimizer.0.weight.exp_avg" [out, in], …) and
    /// the rest is a "training" metadata entry (JSON); PyTorch reads the weights with <c>load_state_dict</c> after
    /// dropping the "optimizer." keys. Written atomically, like <see cref="Save"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">The model is training on another thread.</exception>
    public void SaveCheckpoint(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        RefuseWhileTraining(nameof(SaveCheckpoint));
        var (tensors, metadata) = FileContents();
        var (json, buffers) = Checkpoint.Write(CaptureTraining(), ParameterShapes());
        metadata[Checkpoint.TrainingKey] = json;
        SafeTensors.Write(path, [.. tensors, .. buffers], metadata);
    }

    (KeyValuePair<string, StoredTensor>[] Tensors, Dictionary<string, string> Metadata) FileContents()
    {
        var tensors = CoreModel.parameters(core)
            .Select(p => KeyValuePair.Create(p.Item1, ModelFile.FromParameter(p.Item1, p.Item2.Value)))
            .ToArray();
        var metadata = new Dictionary<string, string>
        {
            ["format"] = "pt",
            [ModelFile.ArchitectureKey] = ModelFile.Architecture(core.Inputs, core.Specs),
            [ModelFile.LossKey] = Loss.Name,
        };
        return (tensors, metadata);
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

    /// <summary>
    /// The raw outputs for samples given one per row: whole batches of <see cref="FusedPredictionRows"/> (or all of them,
    /// if fewer but at least <see cref="FusedEvaluationRows"/>) on the fused step's forward pass, as Evaluate's, the rest
    /// on the graph in passes of as many rows as fit in memory.
    /// </summary>
    Matrix<float> Forward(Matrix<float> features)
    {
        var count = features.RowCount;
        var batch = Math.Min(FusedPredictionRows, ModelLimits.EvaluationRows(core, count));
        if (FusedForward(batch) is { } fast)
        {
            var result = Matrix<float>.Build.Dense(count, Outputs);
            var filler = new FeatureFiller(features);
            var outputs = new float[batch * Outputs];
            var start = 0;
            for (; start + batch <= count; start += batch)
            {
                filler.Start = start;
                fast.Evaluate(Providers.Kernels<float>(), batch, filler.Fill, outputs);
                result.SetSubMatrix(start, 0, Matrix<float>.Build.Dense(batch, Outputs, outputs));
            }

            if (start < count) result.SetSubMatrix(start, 0, GraphForward(features.SubMatrix(start, count - start, 0, Inputs)));
            return result;
        }

        return GraphForward(features);
    }

    /// <summary>Forward's batches on the fused pass: at most this many samples each.</summary>
    const int FusedPredictionRows = 1000;

    /// <summary>Fills a fused forward pass's batch from rows Start … of a matrix of samples (the targets with zeros: the loss is not used).</summary>
    sealed class FeatureFiller
    {
        readonly float[] columns;
        readonly int count, inputs;

        public FeatureFiller(Matrix<float> features)
        {
            (count, inputs) = (features.RowCount, features.ColumnCount);
            columns = features.AsColumnMajorArray() ?? features.ToColumnMajorArray();
            Fill = (x, y) =>
            {
                var rows = x.Length / inputs;
                for (var j = 0; j < inputs; j++)
                {
                    var column = columns.AsSpan(j * count + Start, rows);
                    for (var r = 0; r < rows; r++) x[r * inputs + j] = column[r];
                }

                y.Clear();
            };
        }

        public int Start { get; set; }

        public Action<Span<float>, Span<float>> Fill { get; }
    }

    /// <summary>The raw outputs on the graph, in passes of as many rows as fit in memory.</summary>
    Matrix<float> GraphForward(Matrix<float> features)
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
