namespace Hybrid.Onnx;

/// <summary>
/// What <see cref="Model.ExportOnnx"/> writes and <see cref="Network.LoadOnnx"/> accepts: the opset, the names of the
/// graph's inputs and outputs, the metadata keys and the limits on what is read.
/// </summary>
/// <remarks>
/// <para>
/// An exported graph takes <see cref="InputName"/>, float32 [N, inputs] with a symbolic batch dimension "N", and gives
/// <see cref="OutputName"/>, the network's last layer (the logits when the loss works on logits), and, when the loss
/// turns outputs into probabilities, <see cref="ProbabilitiesName"/>: exactly what <see cref="Model.Predict(MathNet.Numerics.LinearAlgebra.Matrix{float})"/>
/// returns (Softmax over each row for softmax cross-entropy, Sigmoid for binary cross-entropy on logits).
/// </para>
/// <para>
/// Opset 17: every op Hybrid writes (Gemm-13, Relu-14, Sigmoid-13, Tanh-13, LeakyRelu-16, Softplus-1, Softmax-13,
/// Identity-16) has had its present meaning since at most 17, in particular Softmax's single-axis semantics (13);
/// 17 is the newest opset that Debian's onnx 1.12 checker and PyTorch 1.13's exporter know, and ONNX Runtime runs
/// opsets 7 to 21 and beyond. The IR version is 8, the one that goes with opset 17.
/// </para>
/// </remarks>
public static class OnnxFormat
{
    /// <summary>The ONNX opset (default domain) exported models import.</summary>
    public const int Opset = 17;

    /// <summary>The ONNX IR version of exported models (IR 8 goes with opsets 16 and 17).</summary>
    public const int IrVersion = 8;

    /// <summary>The oldest default-domain opset <see cref="Network.LoadOnnx"/> reads (Gemm and Dropout took their present forms in 7).</summary>
    public const int OldestOpset = 7;

    /// <summary>The newest default-domain opset <see cref="Network.LoadOnnx"/> reads: none of the ops it maps changed meaning up to it.</summary>
    public const int NewestOpset = 23;

    /// <summary>The graph input of an exported model: float32 [N, inputs].</summary>
    public const string InputName = "input";

    /// <summary>The graph output holding the last layer's values: float32 [N, outputs].</summary>
    public const string OutputName = "output";

    /// <summary>The second graph output, written when the loss defines probabilities: float32 [N, outputs].</summary>
    public const string ProbabilitiesName = "probabilities";

    /// <summary>The name of the symbolic batch dimension.</summary>
    public const string BatchDimension = "N";

    /// <summary>The metadata_props key of the architecture (the JSON Hybrid's safetensors files carry), which keeps what ONNX inference graphs leave out: dropout layers and their rates.</summary>
    public const string ArchitectureKey = "hybrid.architecture";

    /// <summary>The metadata_props key of the loss's name.</summary>
    public const string LossKey = "hybrid.loss";

    /// <summary>
    /// The largest file <see cref="Network.LoadOnnx"/> reads, 1 GiB: a file is read whole before it is parsed, and a
    /// dense network of that size is far beyond what Hybrid trains (784-512-256-10 is 2.7 MB); protobuf itself stops at 2 GiB.
    /// </summary>
    public const long MaxFileBytes = 1L << 30;
}
