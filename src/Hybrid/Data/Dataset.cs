using MathNet.Numerics.LinearAlgebra;
using System.Runtime.CompilerServices;

namespace Hybrid.Data;

/// <summary>
/// Samples for training or evaluation: a feature row per sample and a target row per sample
/// (one-hot rows for classification, values for regression), with class labels when there are classes.
/// Immutable; slicing and splitting copy.
/// </summary>
public sealed partial class Dataset
{
    // Row-major storage: sample i's features are features[i*FeatureCount .. (i+1)*FeatureCount).
    readonly float[] features;
    readonly float[] targets;
    readonly int[]? labels;

    Dataset(float[] features, int featureCount, float[] targets, int targetCount, int[]? labels)
    {
        this.features = features;
        this.targets = targets;
        this.labels = labels;
        if (featureCount < 1)
            throw new ArgumentException($"Dataset: a sample needs at least one feature, but the features have {featureCount} columns.", nameof(featureCount));
        if (targetCount < 1)
            throw new ArgumentException($"Dataset: a sample needs at least one target, but the targets have {targetCount} columns.", nameof(targetCount));
        FeatureCount = featureCount;
        TargetCount = targetCount;
        Count = features.Length / featureCount;
        if (targets.Length != Count * targetCount)
            throw new ArgumentException($"Dataset: {Count} samples of features but {targets.Length / targetCount} of targets.");
    }

    /// <summary>Number of samples.</summary>
    public int Count { get; }

    /// <summary>Number of features per sample (784 for MNIST).</summary>
    public int FeatureCount { get; }

    /// <summary>Number of target columns per sample (the classes, for one-hot targets).</summary>
    public int TargetCount { get; }

    /// <summary>The class of each sample, or <c>null</c> for a regression data set.</summary>
    public IReadOnlyList<int>? Labels => labels;

    /// <summary>A classification data set: features (one sample per row) and a class label per sample, one-hot encoded.</summary>
    /// <param name="features">Samples × features.</param>
    /// <param name="labels">The class of each sample, in [0, <paramref name="classes"/>).</param>
    /// <param name="classes">The number of classes.</param>
    public static Dataset FromLabels(Matrix<float> features, IReadOnlyList<int> labels, int classes)
    {
        CheckLabels(features, labels);
        return FromLabels(RowMajor(features), features.ColumnCount, labels.ToArray(), classes);
    }

    /// <summary>
    /// A two-class data set with a single target column holding the class (0 or 1), for a network with one sigmoid
    /// output and binary cross-entropy.
    /// </summary>
    public static Dataset FromBinaryLabels(Matrix<float> features, IReadOnlyList<int> labels)
    {
        CheckLabels(features, labels);
        var classes = labels.ToArray();
        for (var i = 0; i < classes.Length; i++)
            if (classes[i] is not (0 or 1))
                throw new ArgumentException($"Dataset: binary label {classes[i]} of sample {i} is not 0 or 1.", nameof(labels));
        return new Dataset(RowMajor(features), features.ColumnCount, classes.Select(c => (float)c).ToArray(), 1, classes);
    }

    /// <summary>A data set with explicit targets (one row per sample), for regression or for soft labels.</summary>
    public static Dataset FromTargets(Matrix<float> features, Matrix<float> targets)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(targets);
        if (targets.RowCount != features.RowCount)
            throw new ArgumentException($"Dataset: {features.RowCount} feature rows but {targets.RowCount} target rows.", nameof(targets));
        return new Dataset(RowMajor(features), features.ColumnCount, RowMajor(targets), targets.ColumnCount, null);
    }

    internal static Dataset FromLabels(float[] features, int featureCount, int[] labels, int classes)
    {
        if (classes < 1) throw new ArgumentOutOfRangeException(nameof(classes), classes, "Dataset: at least one class is needed.");
        var oneHot = new float[labels.Length * classes];
        for (var i = 0; i < labels.Length; i++)
        {
            if (labels[i] < 0 || labels[i] >= classes)
                throw new ArgumentException($"Dataset: label {labels[i]} of sample {i} is outside [0, {classes}).", nameof(labels));
            oneHot[i * classes + labels[i]] = 1f;
        }

        return new Dataset(features, featureCount, oneHot, classes, labels);
    }

    static void CheckLabels(Matrix<float> features, IReadOnlyList<int> labels)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(labels);
        if (labels.Count != features.RowCount)
            throw new ArgumentException($"Dataset: {features.RowCount} feature rows but {labels.Count} labels.", nameof(labels));
    }

    static float[] RowMajor(Matrix<float> m) => m.ToRowMajorArray();

    /// <summary>The features as a matrix, one sample per row.</summary>
    public Matrix<float> Features() => Rows(features, FeatureCount, 0, Count);

    /// <summary>The targets as a matrix, one sample per row.</summary>
    public Matrix<float> Targets() => Rows(targets, TargetCount, 0, Count);

    /// <summary>The features of one sample.</summary>
    public ReadOnlySpan<float> Sample(int index) => features.AsSpan(index * FeatureCount, FeatureCount);

    /// <summary>The first <paramref name="count"/> samples.</summary>
    public Dataset Take(int count) => Slice(0, Math.Min(count, Count));

    /// <summary>Samples <paramref name="start"/> to <paramref name="start"/> + <paramref name="count"/> − 1.</summary>
    public Dataset Slice(int start, int count)
    {
        if (start < 0 || count < 1 || start + count > Count)
            throw new ArgumentOutOfRangeException(nameof(count), $"Dataset: cannot take {count} samples from {start} of {Count}.");
        return Select(Enumerable.Range(start, count).ToArray());
    }

    /// <summary>
    /// Splits the samples, shuffled with <paramref name="seed"/>, into a first part holding
    /// <paramref name="fraction"/> of them and a second part holding the rest (e.g. train and validation).
    /// </summary>
    public (Dataset First, Dataset Second) Split(double fraction, int seed = 1)
    {
        if (!(fraction > 0 && fraction < 1))
            throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "Dataset.Split: the fraction must be strictly between 0 and 1.");
        var order = Permutation(Count, new Random(seed));
        var cut = (int)Math.Round(Count * fraction);
        if (cut == 0 || cut == Count)
            throw new ArgumentOutOfRangeException(nameof(fraction), fraction, $"Dataset.Split: {fraction} of {Count} samples leaves one part empty.");
        return (Select(order[..cut]), Select(order[cut..]));
    }

    /// <summary>
    /// Splits the samples by class: a seeded shuffle of each class's samples puts round(<paramref name="fraction"/> ×
    /// its count) of them into the first part and the rest into the second, so both parts keep the classes' proportions
    /// (e.g. a validation set held out of the training set). Each part keeps the samples in their original order. The
    /// class of a sample is its label, or its largest target.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The fraction is not strictly between 0 and 1, or leaves a part empty.</exception>
    public (Dataset First, Dataset Second) StratifiedSplit(double fraction, int seed = 1)
    {
        if (!(fraction > 0 && fraction < 1))
            throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "Dataset.StratifiedSplit: the fraction must be strictly between 0 and 1.");
        var rng = new Random(seed);
        var inFirst = new bool[Count];
        foreach (var members in Enumerable.Range(0, Count).GroupBy(ClassOf).OrderBy(g => g.Key))
        {
            var indices = members.ToArray();
            var order = Permutation(indices.Length, rng);
            var cut = (int)Math.Round(indices.Length * fraction);
            for (var k = 0; k < cut; k++) inFirst[indices[order[k]]] = true;
        }

        var first = Enumerable.Range(0, Count).Where(i => inFirst[i]).ToArray();
        if (first.Length == 0 || first.Length == Count)
            throw new ArgumentOutOfRangeException(nameof(fraction), fraction,
                $"Dataset.StratifiedSplit: {fraction} of each class of {Count} samples leaves one part empty.");
        return (Select(first), Select(Enumerable.Range(0, Count).Where(i => !inFirst[i]).ToArray()));
    }

    internal Dataset Select(int[] indices)
    {
        var f = new float[indices.Length * FeatureCount];
        var t = new float[indices.Length * TargetCount];
        for (var k = 0; k < indices.Length; k++)
        {
            Array.Copy(features, indices[k] * FeatureCount, f, k * FeatureCount, FeatureCount);
            Array.Copy(targets, indices[k] * TargetCount, t, k * TargetCount, TargetCount);
        }

        return new Dataset(f, FeatureCount, t, TargetCount, labels is null ? null : indices.Select(i => labels[i]).ToArray());
    }

    /// <summary>A uniformly random permutation of 0 … n − 1 (Fisher–Yates), drawn from <paramref name="rng"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // every epoch, a draw per sample: optimised from its first call
    internal static int[] Permutation(int n, Random rng)
    {
        var order = Enumerable.Range(0, n).ToArray();
        for (var i = n - 1; i > 0; i--)
        {
            var j = rng.Next(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }

        return order;
    }

    /// <summary>Copies rows <paramref name="order"/>[start …] of features and targets into batch matrices.</summary>
    internal (Matrix<float> X, Matrix<float> Y) Batch(int[] order, int start, int size)
    {
        var x = Matrix<float>.Build.Dense(size, FeatureCount);
        var y = Matrix<float>.Build.Dense(size, TargetCount);
        Gather(features, FeatureCount, order, start, size, x);
        Gather(targets, TargetCount, order, start, size, y);
        return (x, y);
    }

    /// <summary>
    /// Copies rows <paramref name="order"/>[start …]: features row-major (one sample after another, a plain copy each)
    /// into <paramref name="x"/>, targets column-major into <paramref name="y"/>, as the fused training step takes them.
    /// An empty <paramref name="x"/> (the step gathered the batch's nonzeros instead) receives no features.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // runs every batch: optimised from its first call, as the kernels of FastKernels.cs
    internal void Batch(int[] order, int start, int size, Span<float> x, Span<float> y)
    {
        if (!x.IsEmpty)
            for (var i = 0; i < size; i++)
                features.AsSpan(order[start + i] * FeatureCount, FeatureCount).CopyTo(x.Slice(i * FeatureCount, FeatureCount));
        Gather(targets, TargetCount, order, start, size, y);
    }

    /// <summary>The targets of sample <paramref name="index"/> (TargetCount values).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // runs every batch of a multi-label model: as ClassOf
    internal ReadOnlySpan<float> TargetRow(int index) => targets.AsSpan(index * TargetCount, TargetCount);

    /// <summary>The class of sample <paramref name="index"/>: its label, or the largest target (1 when a single target is above 0.5).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // runs every batch: optimised from its first call, as the kernels of FastKernels.cs
    internal int ClassOf(int index)
    {
        if (labels is not null) return labels[index];
        var row = targets.AsSpan(index * TargetCount, TargetCount);
        if (TargetCount == 1) return row[0] > 0.5f ? 1 : 0;
        var best = 0;
        for (var j = 1; j < row.Length; j++)
            if (row[j] > row[best]) best = j;
        return best;
    }

    static void Gather(float[] source, int width, int[] order, int start, int size, Matrix<float> into) =>
        Gather(source, width, order, start, size, into.AsColumnMajorArray());

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // runs every batch: optimised from its first call, as the kernels of FastKernels.cs
    static void Gather(float[] source, int width, int[] order, int start, int size, Span<float> data)
    {
        // Column-major: element (i, j) of a size-row matrix is at j*size + i.
        for (var i = 0; i < size; i++)
        {
            var row = order[start + i] * width;
            for (var j = 0; j < width; j++) data[j * size + i] = source[row + j];
        }
    }

    static Matrix<float> Rows(float[] source, int width, int start, int count) =>
        Matrix<float>.Build.Dense(count, width, (i, j) => source[(start + i) * width + j]);
}
