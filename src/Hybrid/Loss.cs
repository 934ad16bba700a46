using Hybrid.Core;

namespace Hybrid;

/// <summary>What a model is trained to minimise; also decides how <see cref="Model.Predict(MathNet.Numerics.LinearAlgebra.Matrix{float})"/> turns outputs into probabilities.</summary>
public sealed class Loss
{
    Loss(LossFunction function, string name)
    {
        Function = function;
        Name = name;
    }

    internal LossFunction Function { get; }

    /// <summary>The loss's name as saved in a model file.</summary>
    public string Name { get; }

    /// <summary>Categorical cross-entropy on logits (leave the last layer without activation); predictions are softmax probabilities.</summary>
    public static Loss SoftmaxCrossEntropy { get; } = new(LossFunction.SoftmaxCrossEntropy, "softmax_cross_entropy");

    /// <summary>Mean squared error on the raw outputs.</summary>
    public static Loss MeanSquaredError { get; } = new(LossFunction.MeanSquaredError, "mean_squared_error");

    /// <summary>Binary cross-entropy on outputs that are already probabilities (a sigmoid last layer).</summary>
    public static Loss BinaryCrossEntropy { get; } = new(LossFunction.BinaryCrossEntropy, "binary_cross_entropy");

    /// <summary>Binary cross-entropy on logits (no last activation), stable; predictions are sigmoid probabilities.</summary>
    public static Loss BinaryCrossEntropyWithLogits { get; } = new(LossFunction.BinaryCrossEntropyWithLogits, "binary_cross_entropy_with_logits");

    /// <summary>Categorical cross-entropy on outputs that are already probabilities (a <see cref="Activation.Softmax"/> last layer); each log clamped at −100.</summary>
    public static Loss CategoricalCrossEntropy { get; } = new(LossFunction.CategoricalCrossEntropy, "categorical_cross_entropy");

    internal static IReadOnlyList<Loss> All { get; } = [SoftmaxCrossEntropy, MeanSquaredError, BinaryCrossEntropy, BinaryCrossEntropyWithLogits, CategoricalCrossEntropy];

    /// <summary>The loss with the given saved name.</summary>
    /// <exception cref="ArgumentException">No loss has that name.</exception>
    public static Loss Parse(string name) =>
        All.FirstOrDefault(l => l.Name == name)
        ?? throw new ArgumentException($"unknown loss '{name}'; expected one of {string.Join(", ", All.Select(l => l.Name))}", nameof(name));

    /// <inheritdoc/>
    public override string ToString() => Name;
}
