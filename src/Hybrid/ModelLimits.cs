using Hybrid.Core;
using Hybrid.IO;
using CoreModel = Hybrid.Core.Sequential;

namespace Hybrid;

/// <summary>
/// The sizes a model may have here, checked before anything is allocated, so that an oversized network (built,
/// loaded or trained) gives an error naming its size and the memory instead of an overflow or an out-of-memory
/// abort. Memory is what the runtime may use in all (physical memory or the container's limit).
/// </summary>
static class ModelLimits
{
    /// <summary>The most layers (dense, activation and dropout together) a model may have.</summary>
    public const int MaxLayers = 4096;

    /// <summary>Bytes per parameter while training: the float32 weight, its gradient and two optimizer moments.</summary>
    const long TrainingBytesPerParameter = 16;

    public static long Memory => InputFile.totalMemory();

    /// <summary>
    /// Checks the layer count, each dense layer's weight matrix (one array holds it) and the parameter count
    /// (at most <see cref="int.MaxValue"/>, and its training state within memory); returns the parameter count.
    /// </summary>
    /// <param name="inputs">Features per sample.</param>
    /// <param name="specs">The layers.</param>
    /// <param name="error">Makes the exception to raise from a message (ArgumentException for a built network, InvalidDataException for a file).</param>
    public static long Check(int inputs, IReadOnlyList<LayerSpec> specs, Func<string, Exception> error)
    {
        if (specs.Count > MaxLayers) throw error($"{specs.Count:N0} layers, more than the {MaxLayers:N0} a model may have");
        long width = inputs, total = 0;
        (int Layer, long In, long Out) widest = (-1, 0, 0);
        for (var i = 0; i < specs.Count; i++)
        {
            if (specs[i] is LayerSpec.Graph g)
            {
                foreach (var (_, rows, cols, _) in g.rule.Parameters((int)width)) total += (long)rows * cols;
                width = g.rule.Outputs((int)width);
            }

            if (specs[i] is not LayerSpec.Dense d) continue;
            total += width * d.outputs + d.outputs;
            if (width * d.outputs > widest.In * widest.Out) widest = (i, width, d.outputs);
            width = d.outputs;
        }

        var training = total * TrainingBytesPerParameter;
        if (training > Memory)
            throw error($"{total:N0} parameters, which need {Files.Size(training)} to train (weights, gradients and optimizer state), " +
                        $"more than the {Files.Size(Memory)} of memory here");
        if (total > int.MaxValue) throw error($"{total:N0} parameters, more than the {int.MaxValue:N0} a model may have");
        if (widest.In * widest.Out > Array.MaxLength)
            throw error($"layer {widest.Layer}, Linear({widest.In:N0} → {widest.Out:N0}), has {widest.In * widest.Out:N0} weights, more than one array holds ({Array.MaxLength:N0})");
        return total;
    }

    /// <summary>The bytes a fused training step's buffers take for batches of <paramref name="rows"/>: the batch, and each layer's output, gradient and dropout mask.</summary>
    public static long StepBytes(Sequential<float> core, long rows)
    {
        var widths = CoreModel.widths(core.Inputs, core.Specs);
        long perRow = core.Inputs * 2L + widths[^1];
        for (var i = 1; i < widths.Length; i++) perRow += 3L * widths[i];
        return rows * perRow * sizeof(float);
    }

    /// <summary>
    /// Rows per forward pass of evaluation that keep its intermediate results (every layer's output of the pass is
    /// held until the pass ends) within a quarter of memory: <paramref name="requested"/>, or fewer for a model
    /// that is very deep or wide. The results do not depend on it.
    /// </summary>
    public static int EvaluationRows(Sequential<float> core, int requested)
    {
        var widths = CoreModel.widths(core.Inputs, core.Specs);
        long perRow = 0;
        foreach (var w in widths) perRow += 2L * w * sizeof(float);
        var fits = Math.Max(1, Memory / 4 / Math.Max(perRow, 1));
        return (int)Math.Min(requested, fits);
    }
}
