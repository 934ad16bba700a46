namespace Hybrid.Data;

/// <summary>Data sets from plain arrays, one sample per row, with no MathNet type in sight.</summary>
public sealed partial class Dataset
{
    /// <summary>A classification data set from one <c>float[]</c> of features per sample and a class label per sample (one-hot encoded).</summary>
    /// <param name="features">One array per sample, all of the same length.</param>
    /// <param name="labels">The class of each sample, in [0, classes).</param>
    /// <param name="classes">The number of classes (default: the largest label + 1).</param>
    /// <exception cref="ArgumentException">No samples, a null or ragged row (the message names it), or a label count or label out of range.</exception>
    public static Dataset FromArrays(float[][] features, IReadOnlyList<int> labels, int? classes = null)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(labels);
        if (features.Length == 0) throw new ArgumentException("Dataset.FromArrays: there are no samples.", nameof(features));
        var width = features[0]?.Length ?? throw new ArgumentException("Dataset.FromArrays: sample 0 is null.", nameof(features));
        var flat = new float[checked(features.Length * width)];
        for (var i = 0; i < features.Length; i++)
        {
            var row = features[i] ?? throw new ArgumentException($"Dataset.FromArrays: sample {i} is null.", nameof(features));
            if (row.Length != width)
                throw new ArgumentException($"Dataset.FromArrays: sample {i} has {row.Length} features, but sample 0 has {width}; every sample needs the same number.", nameof(features));
            row.CopyTo(flat, i * width);
        }

        return FromFlat(flat, width, features.Length, labels, classes, "Dataset.FromArrays");
    }

    /// <summary>A classification data set from a samples × features array (row i is sample i) and a class label per sample (one-hot encoded).</summary>
    /// <param name="features">Samples × features.</param>
    /// <param name="labels">The class of each sample, in [0, classes).</param>
    /// <param name="classes">The number of classes (default: the largest label + 1).</param>
    /// <exception cref="ArgumentException">No samples or features, or a label count or label out of range.</exception>
    public static Dataset FromArrays(float[,] features, IReadOnlyList<int> labels, int? classes = null)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(labels);
        if (features.GetLength(0) == 0) throw new ArgumentException("Dataset.FromArrays: there are no samples.", nameof(features));
        return FromFlat(RowMajor(features), features.GetLength(1), features.GetLength(0), labels, classes, "Dataset.FromArrays");
    }

    /// <summary>A float[,] (row-major in .NET) copied into one flat array, sample after sample.</summary>
    internal static float[] RowMajor(float[,] samples)
    {
        var flat = new float[samples.Length];
        var i = 0;
        foreach (var x in samples) flat[i++] = x;
        return flat;
    }

    static Dataset FromFlat(float[] flat, int width, int count, IReadOnlyList<int> labels, int? classes, string where)
    {
        if (width < 1) throw new ArgumentException($"{where}: a sample needs at least one feature, but the samples have {width}.", "features");
        if (labels.Count != count) throw new ArgumentException($"{where}: {count} samples but {labels.Count} labels.", nameof(labels));
        var array = labels.ToArray();
        for (var i = 0; i < array.Length; i++)
            if (array[i] < 0)
                throw new ArgumentException($"{where}: label {array[i]} of sample {i} is negative; labels are classes 0, 1, ….", nameof(labels));
        return FromLabels(flat, width, array, classes ?? array.Max() + 1);
    }

    /// <summary>
    /// A two-class data set for a one-output model (binary cross-entropy): one <c>float[]</c> of features per sample
    /// and a label of 0 or 1 per sample, held in the single target column.
    /// </summary>
    /// <exception cref="ArgumentException">No samples, a null or ragged row, or a label that is not 0 or 1.</exception>
    public static Dataset FromBinaryArrays(float[][] features, IReadOnlyList<int> labels)
    {
        var oneHot = FromArrays(features, labels, 2);
        return Binary(oneHot.features, oneHot.FeatureCount, labels);
    }

    internal static Dataset Binary(float[] flat, int width, IReadOnlyList<int> labels)
    {
        var classes = labels.ToArray();
        for (var i = 0; i < classes.Length; i++)
            if (classes[i] is not (0 or 1))
                throw new ArgumentException($"Dataset: binary label {classes[i]} of sample {i} is not 0 or 1.", nameof(labels));
        return new Dataset(flat, width, classes.Select(c => (float)c).ToArray(), 1, classes);
    }
}
