using System.Numerics;
using Hybrid.Core;
using CoreLoss = Hybrid.Core.Objectives;

namespace Hybrid.Autograd;

/// <summary>Loss functions on graph nodes: each returns a 1×1 node, the mean over the batch.</summary>
public static class Losses
{
    /// <summary>mean((prediction − target)²).</summary>
    public static Variable<T> MeanSquaredError<T>(Variable<T> prediction, Variable<T> target)
        where T : struct, IFloatingPointIeee754<T> => new(CoreLoss.meanSquaredError(prediction.Node, target.Node));

    /// <summary>−mean(t·ln p + (1 − t)·ln(1 − p)) from probabilities p; logarithms clamped at −100 as in PyTorch.</summary>
    public static Variable<T> BinaryCrossEntropy<T>(Variable<T> probability, Variable<T> target)
        where T : struct, IFloatingPointIeee754<T> => new(CoreLoss.binaryCrossEntropy(probability.Node, target.Node));

    /// <summary>Binary cross-entropy from logits z (p = σ(z)), stable for any z: mean(softplus(z) − t·z).</summary>
    public static Variable<T> BinaryCrossEntropyWithLogits<T>(Variable<T> logits, Variable<T> target)
        where T : struct, IFloatingPointIeee754<T> => new(CoreLoss.binaryCrossEntropyWithLogits(logits.Node, target.Node));

    /// <summary>
    /// Categorical cross-entropy from logits (one sample per row) and target distributions (one-hot rows):
    /// −(1/m) Σ t ⊙ logSoftmax(z), fused and stable; its gradient is (softmax(z) − t)/m.
    /// </summary>
    public static Variable<T> CrossEntropyWithLogits<T>(Variable<T> logits, Variable<T> target)
        where T : struct, IFloatingPointIeee754<T> => new(CoreLoss.crossEntropyWithLogits(logits.Node, target.Node));
}
