using System.Numerics.Tensors;
using MathNet.Numerics.Providers.LinearAlgebra;

namespace Hybrid.LinearAlgebra;

/// <summary>
/// Pure .NET, no native dependency: matrix products by <see cref="SimdGemm"/> (cache-blocked, with FMA: Vector512 and a
/// 32×12 register tile where the processor has AVX-512, else Vector256 and 16×6), elementwise work by
/// <see cref="TensorPrimitives"/>. For users who cannot install native libraries.
/// </summary>
public sealed class SimdProvider : ForwardingLinearAlgebraProvider
{
    /// <summary>Threads for large products (default: the machine's cores).</summary>
    public int Threads { get; set; } = Environment.ProcessorCount;

    int vectorBits = SimdGemm.IsWideSupported ? 512 : 256;

    /// <summary>
    /// The vector width of the matrix products, 256 or 512 bits (default: 512 where the processor has AVX-512, else 256).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Neither 256 nor 512.</exception>
    /// <exception cref="PlatformNotSupportedException">512 on a processor without AVX-512.</exception>
    public int VectorBits
    {
        get => vectorBits;
        set
        {
            if (value is not (256 or 512)) throw new ArgumentOutOfRangeException(nameof(value), value, "the Simd provider's vector width is 256 or 512 bits");
            if (value == 512 && !SimdGemm.IsWideSupported)
                throw new PlatformNotSupportedException("512-bit products need AVX-512, which this processor lacks; use 256.");
            vectorBits = value;
        }
    }

    /// <inheritdoc/>
    public override bool IsAvailable() => SimdGemm.IsSupported;

    /// <inheritdoc/>
    /// <exception cref="PlatformNotSupportedException">The processor has no 256-bit vector instructions.</exception>
    public override void InitializeVerify()
    {
        if (!SimdGemm.IsSupported)
            throw new PlatformNotSupportedException("The Simd provider needs 256-bit vector instructions (AVX2 or Arm SVE); use Providers.UseManaged().");
    }

    /// <inheritdoc/>
    public override string ToString() => $"simd (Vector{vectorBits}{(System.Runtime.Intrinsics.X86.Fma.IsSupported ? " + FMA" : "")}; {Threads} threads)";

    /// <inheritdoc/>
    public override void MatrixMultiplyWithUpdate(
        Transpose transposeA, Transpose transposeB, float alpha, float[] a, int rowsA, int columnsA, float[] b, int rowsB, int columnsB,
        float beta, float[] c)
    {
        var (m, k, n) = OpenBlasProvider.Shape(transposeA, transposeB, rowsA, columnsA, rowsB, columnsB);
        SimdGemm.Multiply(transposeA != Transpose.DontTranspose, transposeB != Transpose.DontTranspose, m, n, k, alpha, a, rowsA, b, rowsB, beta, c, m, Threads, vectorBits == 512);
    }

    /// <inheritdoc/>
    public override void MatrixMultiplyWithUpdate(
        Transpose transposeA, Transpose transposeB, double alpha, double[] a, int rowsA, int columnsA, double[] b, int rowsB, int columnsB,
        double beta, double[] c)
    {
        var (m, k, n) = OpenBlasProvider.Shape(transposeA, transposeB, rowsA, columnsA, rowsB, columnsB);
        SimdGemm.Multiply(transposeA != Transpose.DontTranspose, transposeB != Transpose.DontTranspose, m, n, k, alpha, a, rowsA, b, rowsB, beta, c, m, Threads, vectorBits == 512);
    }

    /// <inheritdoc/>
    public override void MatrixMultiply(float[] x, int rowsX, int columnsX, float[] y, int rowsY, int columnsY, float[] result) =>
        MatrixMultiplyWithUpdate(Transpose.DontTranspose, Transpose.DontTranspose, 1f, x, rowsX, columnsX, y, rowsY, columnsY, 0f, result);

    /// <inheritdoc/>
    public override void MatrixMultiply(double[] x, int rowsX, int columnsX, double[] y, int rowsY, int columnsY, double[] result) =>
        MatrixMultiplyWithUpdate(Transpose.DontTranspose, Transpose.DontTranspose, 1.0, x, rowsX, columnsX, y, rowsY, columnsY, 0.0, result);

    /// <inheritdoc/>
    public override void AddVectorToScaledVector(float[] y, float alpha, float[] x, float[] result) => TensorPrimitives.MultiplyAdd(x, alpha, y, result);

    /// <inheritdoc/>
    public override void AddVectorToScaledVector(double[] y, double alpha, double[] x, double[] result) => TensorPrimitives.MultiplyAdd(x, alpha, y, result);

    /// <inheritdoc/>
    public override void ScaleArray(float alpha, float[] x, float[] result) => TensorPrimitives.Multiply(x, alpha, result);

    /// <inheritdoc/>
    public override void ScaleArray(double alpha, double[] x, double[] result) => TensorPrimitives.Multiply(x, alpha, result);

    /// <inheritdoc/>
    public override float DotProduct(float[] x, float[] y) => TensorPrimitives.Dot(x, y);

    /// <inheritdoc/>
    public override double DotProduct(double[] x, double[] y) => TensorPrimitives.Dot(x, y);

    /// <inheritdoc/>
    public override void AddArrays(float[] x, float[] y, float[] result) => TensorPrimitives.Add(x, y, result);

    /// <inheritdoc/>
    public override void AddArrays(double[] x, double[] y, double[] result) => TensorPrimitives.Add(x, y, result);

    /// <inheritdoc/>
    public override void SubtractArrays(float[] x, float[] y, float[] result) => TensorPrimitives.Subtract(x, y, result);

    /// <inheritdoc/>
    public override void SubtractArrays(double[] x, double[] y, double[] result) => TensorPrimitives.Subtract(x, y, result);

    /// <inheritdoc/>
    public override void PointWiseMultiplyArrays(float[] x, float[] y, float[] result) => TensorPrimitives.Multiply(x, y, result);

    /// <inheritdoc/>
    public override void PointWiseMultiplyArrays(double[] x, double[] y, double[] result) => TensorPrimitives.Multiply(x, y, result);

    /// <inheritdoc/>
    public override void PointWiseDivideArrays(float[] x, float[] y, float[] result) => TensorPrimitives.Divide(x, y, result);

    /// <inheritdoc/>
    public override void PointWiseDivideArrays(double[] x, double[] y, double[] result) => TensorPrimitives.Divide(x, y, result);
}
