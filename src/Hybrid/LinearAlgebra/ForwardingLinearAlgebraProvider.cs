// Generated once from MathNet.Numerics 5.0.0's ILinearAlgebraProvider<T>: every operation forwards to
// MathNet's managed provider unless a subclass overrides it. Only the hot loops are overridden.
using System.Numerics;
using MathNet.Numerics;
using MathNet.Numerics.LinearAlgebra.Factorization;
using MathNet.Numerics.Providers.LinearAlgebra;

namespace Hybrid.LinearAlgebra;

/// <summary>
/// A MathNet linear-algebra provider that forwards every operation to MathNet's managed provider;
/// Hybrid's providers derive from it and override the operations they accelerate.
/// </summary>
public abstract class ForwardingLinearAlgebraProvider : ILinearAlgebraProvider
{
    /// <summary>MathNet's managed provider: the reference, and the fallback for every operation not overridden.</summary>
    protected static ILinearAlgebraProvider Managed { get; } = ManagedLinearAlgebraProvider.Instance;

    /// <summary>True when the provider can run on this machine.</summary>
    public abstract bool IsAvailable();

    /// <summary>Loads and checks whatever the provider needs; throws, saying what to install, when it cannot run.</summary>
    public abstract void InitializeVerify();

    /// <summary>Releases native resources, if any.</summary>
    public virtual void FreeResources() { }

    // double
    /// <inheritdoc/>
    public virtual void AddVectorToScaledVector(double[] y, double alpha, double[] x, double[] result) =>
        Managed.AddVectorToScaledVector(y, alpha, x, result);

    /// <inheritdoc/>
    public virtual void ScaleArray(double alpha, double[] x, double[] result) =>
        Managed.ScaleArray(alpha, x, result);

    /// <inheritdoc/>
    public virtual void ConjugateArray(double[] x, double[] result) =>
        Managed.ConjugateArray(x, result);

    /// <inheritdoc/>
    public virtual double DotProduct(double[] x, double[] y) =>
        Managed.DotProduct(x, y);

    /// <inheritdoc/>
    public virtual void AddArrays(double[] x, double[] y, double[] result) =>
        Managed.AddArrays(x, y, result);

    /// <inheritdoc/>
    public virtual void SubtractArrays(double[] x, double[] y, double[] result) =>
        Managed.SubtractArrays(x, y, result);

    /// <inheritdoc/>
    public virtual void PointWiseMultiplyArrays(double[] x, double[] y, double[] result) =>
        Managed.PointWiseMultiplyArrays(x, y, result);

    /// <inheritdoc/>
    public virtual void PointWiseDivideArrays(double[] x, double[] y, double[] result) =>
        Managed.PointWiseDivideArrays(x, y, result);

    /// <inheritdoc/>
    public virtual void PointWisePowerArrays(double[] x, double[] y, double[] result) =>
        Managed.PointWisePowerArrays(x, y, result);

    /// <inheritdoc/>
    public virtual double MatrixNorm(Norm norm, int rows, int columns, double[] matrix) =>
        Managed.MatrixNorm(norm, rows, columns, matrix);

    /// <inheritdoc/>
    public virtual void MatrixMultiply(double[] x, int rowsX, int columnsX, double[] y, int rowsY, int columnsY, double[] result) =>
        Managed.MatrixMultiply(x, rowsX, columnsX, y, rowsY, columnsY, result);

    /// <inheritdoc/>
    public virtual void MatrixMultiplyWithUpdate(Transpose transposeA, Transpose transposeB, double alpha, double[] a, int rowsA, int columnsA, double[] b, int rowsB, int columnsB, double beta, double[] c) =>
        Managed.MatrixMultiplyWithUpdate(transposeA, transposeB, alpha, a, rowsA, columnsA, b, rowsB, columnsB, beta, c);

    /// <inheritdoc/>
    public virtual void LUFactor(double[] data, int order, int[] ipiv) =>
        Managed.LUFactor(data, order, ipiv);

    /// <inheritdoc/>
    public virtual void LUInverse(double[] a, int order) =>
        Managed.LUInverse(a, order);

    /// <inheritdoc/>
    public virtual void LUInverseFactored(double[] a, int order, int[] ipiv) =>
        Managed.LUInverseFactored(a, order, ipiv);

    /// <inheritdoc/>
    public virtual void LUSolve(int columnsOfB, double[] a, int order, double[] b) =>
        Managed.LUSolve(columnsOfB, a, order, b);

    /// <inheritdoc/>
    public virtual void LUSolveFactored(int columnsOfB, double[] a, int order, int[] ipiv, double[] b) =>
        Managed.LUSolveFactored(columnsOfB, a, order, ipiv, b);

    /// <inheritdoc/>
    public virtual void CholeskyFactor(double[] a, int order) =>
        Managed.CholeskyFactor(a, order);

    /// <inheritdoc/>
    public virtual void CholeskySolve(double[] a, int orderA, double[] b, int columnsB) =>
        Managed.CholeskySolve(a, orderA, b, columnsB);

    /// <inheritdoc/>
    public virtual void CholeskySolveFactored(double[] a, int orderA, double[] b, int columnsB) =>
        Managed.CholeskySolveFactored(a, orderA, b, columnsB);

    /// <inheritdoc/>
    public virtual void QRFactor(double[] a, int rowsA, int columnsA, double[] q, double[] tau) =>
        Managed.QRFactor(a, rowsA, columnsA, q, tau);

    /// <inheritdoc/>
    public virtual void ThinQRFactor(double[] a, int rowsA, int columnsA, double[] r, double[] tau) =>
        Managed.ThinQRFactor(a, rowsA, columnsA, r, tau);

    /// <inheritdoc/>
    public virtual void QRSolve(double[] a, int rows, int columns, double[] b, int columnsB, double[] x, QRMethod method) =>
        Managed.QRSolve(a, rows, columns, b, columnsB, x, method);

    /// <inheritdoc/>
    public virtual void QRSolveFactored(double[] q, double[] r, int rowsA, int columnsA, double[] tau, double[] b, int columnsB, double[] x, QRMethod method) =>
        Managed.QRSolveFactored(q, r, rowsA, columnsA, tau, b, columnsB, x, method);

    /// <inheritdoc/>
    public virtual void SingularValueDecomposition(bool computeVectors, double[] a, int rowsA, int columnsA, double[] s, double[] u, double[] vt) =>
        Managed.SingularValueDecomposition(computeVectors, a, rowsA, columnsA, s, u, vt);

    /// <inheritdoc/>
    public virtual void SvdSolve(double[] a, int rowsA, int columnsA, double[] b, int columnsB, double[] x) =>
        Managed.SvdSolve(a, rowsA, columnsA, b, columnsB, x);

    /// <inheritdoc/>
    public virtual void SvdSolveFactored(int rowsA, int columnsA, double[] s, double[] u, double[] vt, double[] b, int columnsB, double[] x) =>
        Managed.SvdSolveFactored(rowsA, columnsA, s, u, vt, b, columnsB, x);

    /// <inheritdoc/>
    public virtual void EigenDecomp(bool isSymmetric, int order, double[] matrix, double[] matrixEv, Complex[] vectorEv, double[] matrixD) =>
        Managed.EigenDecomp(isSymmetric, order, matrix, matrixEv, vectorEv, matrixD);


    // float
    /// <inheritdoc/>
    public virtual void AddVectorToScaledVector(float[] y, float alpha, float[] x, float[] result) =>
        Managed.AddVectorToScaledVector(y, alpha, x, result);

    /// <inheritdoc/>
    public virtual void ScaleArray(float alpha, float[] x, float[] result) =>
        Managed.ScaleArray(alpha, x, result);

    /// <inheritdoc/>
    public virtual void ConjugateArray(float[] x, float[] result) =>
        Managed.ConjugateArray(x, result);

    /// <inheritdoc/>
    public virtual float DotProduct(float[] x, float[] y) =>
        Managed.DotProduct(x, y);

    /// <inheritdoc/>
    public virtual void AddArrays(float[] x, float[] y, float[] result) =>
        Managed.AddArrays(x, y, result);

    /// <inheritdoc/>
    public virtual void SubtractArrays(float[] x, float[] y, float[] result) =>
        Managed.SubtractArrays(x, y, result);

    /// <inheritdoc/>
    public virtual void PointWiseMultiplyArrays(float[] x, float[] y, float[] result) =>
        Managed.PointWiseMultiplyArrays(x, y, result);

    /// <inheritdoc/>
    public virtual void PointWiseDivideArrays(float[] x, float[] y, float[] result) =>
        Managed.PointWiseDivideArrays(x, y, result);

    /// <inheritdoc/>
    public virtual void PointWisePowerArrays(float[] x, float[] y, float[] result) =>
        Managed.PointWisePowerArrays(x, y, result);

    /// <inheritdoc/>
    public virtual double MatrixNorm(Norm norm, int rows, int columns, float[] matrix) =>
        Managed.MatrixNorm(norm, rows, columns, matrix);

    /// <inheritdoc/>
    public virtual void MatrixMultiply(float[] x, int rowsX, int columnsX, float[] y, int rowsY, int columnsY, float[] result) =>
        Managed.MatrixMultiply(x, rowsX, columnsX, y, rowsY, columnsY, result);

    /// <inheritdoc/>
    public virtual void MatrixMultiplyWithUpdate(Transpose transposeA, Transpose transposeB, float alpha, float[] a, int rowsA, int columnsA, float[] b, int rowsB, int columnsB, float beta, float[] c) =>
        Managed.MatrixMultiplyWithUpdate(transposeA, transposeB, alpha, a, rowsA, columnsA, b, rowsB, columnsB, beta, c);

    /// <inheritdoc/>
    public virtual void LUFactor(float[] data, int order, int[] ipiv) =>
        Managed.LUFactor(data, order, ipiv);

    /// <inheritdoc/>
    public virtual void LUInverse(float[] a, int order) =>
        Managed.LUInverse(a, order);

    /// <inheritdoc/>
    public virtual void LUInverseFactored(float[] a, int order, int[] ipiv) =>
        Managed.LUInverseFactored(a, order, ipiv);

    /// <inheritdoc/>
    public virtual void LUSolve(int columnsOfB, float[] a, int order, float[] b) =>
        Managed.LUSolve(columnsOfB, a, order, b);

    /// <inheritdoc/>
    public virtual void LUSolveFactored(int columnsOfB, float[] a, int order, int[] ipiv, float[] b) =>
        Managed.LUSolveFactored(columnsOfB, a, order, ipiv, b);

    /// <inheritdoc/>
    public virtual void CholeskyFactor(float[] a, int order) =>
        Managed.CholeskyFactor(a, order);

    /// <inheritdoc/>
    public virtual void CholeskySolve(float[] a, int orderA, float[] b, int columnsB) =>
        Managed.CholeskySolve(a, orderA, b, columnsB);

    /// <inheritdoc/>
    public virtual void CholeskySolveFactored(float[] a, int orderA, float[] b, int columnsB) =>
        Managed.CholeskySolveFactored(a, orderA, b, columnsB);

    /// <inheritdoc/>
    public virtual void QRFactor(float[] a, int rowsA, int columnsA, float[] q, float[] tau) =>
        Managed.QRFactor(a, rowsA, columnsA, q, tau);

    /// <inheritdoc/>
    public virtual void ThinQRFactor(float[] a, int rowsA, int columnsA, float[] r, float[] tau) =>
        Managed.ThinQRFactor(a, rowsA, columnsA, r, tau);

    /// <inheritdoc/>
    public virtual void QRSolve(float[] a, int rows, int columns, float[] b, int columnsB, float[] x, QRMethod method) =>
        Managed.QRSolve(a, rows, columns, b, columnsB, x, method);

    /// <inheritdoc/>
    public virtual void QRSolveFactored(float[] q, float[] r, int rowsA, int columnsA, float[] tau, float[] b, int columnsB, float[] x, QRMethod method) =>
        Managed.QRSolveFactored(q, r, rowsA, columnsA, tau, b, columnsB, x, method);

    /// <inheritdoc/>
    public virtual void SingularValueDecomposition(bool computeVectors, float[] a, int rowsA, int columnsA, float[] s, float[] u, float[] vt) =>
        Managed.SingularValueDecomposition(computeVectors, a, rowsA, columnsA, s, u, vt);

    /// <inheritdoc/>
    public virtual void SvdSolve(float[] a, int rowsA, int columnsA, float[] b, int columnsB, float[] x) =>
        Managed.SvdSolve(a, rowsA, columnsA, b, columnsB, x);

    /// <inheritdoc/>
    public virtual void SvdSolveFactored(int rowsA, int columnsA, float[] s, float[] u, float[] vt, float[] b, int columnsB, float[] x) =>
        Managed.SvdSolveFactored(rowsA, columnsA, s, u, vt, b, columnsB, x);

    /// <inheritdoc/>
    public virtual void EigenDecomp(bool isSymmetric, int order, float[] matrix, float[] matrixEv, Complex[] vectorEv, float[] matrixD) =>
        Managed.EigenDecomp(isSymmetric, order, matrix, matrixEv, vectorEv, matrixD);


    // Complex
    /// <inheritdoc/>
    public virtual void AddVectorToScaledVector(Complex[] y, Complex alpha, Complex[] x, Complex[] result) =>
        Managed.AddVectorToScaledVector(y, alpha, x, result);

    /// <inheritdoc/>
    public virtual void ScaleArray(Complex alpha, Complex[] x, Complex[] result) =>
        Managed.ScaleArray(alpha, x, result);

    /// <inheritdoc/>
    public virtual void ConjugateArray(Complex[] x, Complex[] result) =>
        Managed.ConjugateArray(x, result);

    /// <inheritdoc/>
    public virtual Complex DotProduct(Complex[] x, Complex[] y) =>
        Managed.DotProduct(x, y);

    /// <inheritdoc/>
    public virtual void AddArrays(Complex[] x, Complex[] y, Complex[] result) =>
        Managed.AddArrays(x, y, result);

    /// <inheritdoc/>
    public virtual void SubtractArrays(Complex[] x, Complex[] y, Complex[] result) =>
        Managed.SubtractArrays(x, y, result);

    /// <inheritdoc/>
    public virtual void PointWiseMultiplyArrays(Complex[] x, Complex[] y, Complex[] result) =>
        Managed.PointWiseMultiplyArrays(x, y, result);

    /// <inheritdoc/>
    public virtual void PointWiseDivideArrays(Complex[] x, Complex[] y, Complex[] result) =>
        Managed.PointWiseDivideArrays(x, y, result);

    /// <inheritdoc/>
    public virtual void PointWisePowerArrays(Complex[] x, Complex[] y, Complex[] result) =>
        Managed.PointWisePowerArrays(x, y, result);

    /// <inheritdoc/>
    public virtual double MatrixNorm(Norm norm, int rows, int columns, Complex[] matrix) =>
        Managed.MatrixNorm(norm, rows, columns, matrix);

    /// <inheritdoc/>
    public virtual void MatrixMultiply(Complex[] x, int rowsX, int columnsX, Complex[] y, int rowsY, int columnsY, Complex[] result) =>
        Managed.MatrixMultiply(x, rowsX, columnsX, y, rowsY, columnsY, result);

    /// <inheritdoc/>
    public virtual void MatrixMultiplyWithUpdate(Transpose transposeA, Transpose transposeB, Complex alpha, Complex[] a, int rowsA, int columnsA, Complex[] b, int rowsB, int columnsB, Complex beta, Complex[] c) =>
        Managed.MatrixMultiplyWithUpdate(transposeA, transposeB, alpha, a, rowsA, columnsA, b, rowsB, columnsB, beta, c);

    /// <inheritdoc/>
    public virtual void LUFactor(Complex[] data, int order, int[] ipiv) =>
        Managed.LUFactor(data, order, ipiv);

    /// <inheritdoc/>
    public virtual void LUInverse(Complex[] a, int order) =>
        Managed.LUInverse(a, order);

    /// <inheritdoc/>
    public virtual void LUInverseFactored(Complex[] a, int order, int[] ipiv) =>
        Managed.LUInverseFactored(a, order, ipiv);

    /// <inheritdoc/>
    public virtual void LUSolve(int columnsOfB, Complex[] a, int order, Complex[] b) =>
        Managed.LUSolve(columnsOfB, a, order, b);

    /// <inheritdoc/>
    public virtual void LUSolveFactored(int columnsOfB, Complex[] a, int order, int[] ipiv, Complex[] b) =>
        Managed.LUSolveFactored(columnsOfB, a, order, ipiv, b);

    /// <inheritdoc/>
    public virtual void CholeskyFactor(Complex[] a, int order) =>
        Managed.CholeskyFactor(a, order);

    /// <inheritdoc/>
    public virtual void CholeskySolve(Complex[] a, int orderA, Complex[] b, int columnsB) =>
        Managed.CholeskySolve(a, orderA, b, columnsB);

    /// <inheritdoc/>
    public virtual void CholeskySolveFactored(Complex[] a, int orderA, Complex[] b, int columnsB) =>
        Managed.CholeskySolveFactored(a, orderA, b, columnsB);

    /// <inheritdoc/>
    public virtual void QRFactor(Complex[] a, int rowsA, int columnsA, Complex[] q, Complex[] tau) =>
        Managed.QRFactor(a, rowsA, columnsA, q, tau);

    /// <inheritdoc/>
    public virtual void ThinQRFactor(Complex[] a, int rowsA, int columnsA, Complex[] r, Complex[] tau) =>
        Managed.ThinQRFactor(a, rowsA, columnsA, r, tau);

    /// <inheritdoc/>
    public virtual void QRSolve(Complex[] a, int rows, int columns, Complex[] b, int columnsB, Complex[] x, QRMethod method) =>
        Managed.QRSolve(a, rows, columns, b, columnsB, x, method);

    /// <inheritdoc/>
    public virtual void QRSolveFactored(Complex[] q, Complex[] r, int rowsA, int columnsA, Complex[] tau, Complex[] b, int columnsB, Complex[] x, QRMethod method) =>
        Managed.QRSolveFactored(q, r, rowsA, columnsA, tau, b, columnsB, x, method);

    /// <inheritdoc/>
    public virtual void SingularValueDecomposition(bool computeVectors, Complex[] a, int rowsA, int columnsA, Complex[] s, Complex[] u, Complex[] vt) =>
        Managed.SingularValueDecomposition(computeVectors, a, rowsA, columnsA, s, u, vt);

    /// <inheritdoc/>
    public virtual void SvdSolve(Complex[] a, int rowsA, int columnsA, Complex[] b, int columnsB, Complex[] x) =>
        Managed.SvdSolve(a, rowsA, columnsA, b, columnsB, x);

    /// <inheritdoc/>
    public virtual void SvdSolveFactored(int rowsA, int columnsA, Complex[] s, Complex[] u, Complex[] vt, Complex[] b, int columnsB, Complex[] x) =>
        Managed.SvdSolveFactored(rowsA, columnsA, s, u, vt, b, columnsB, x);

    /// <inheritdoc/>
    public virtual void EigenDecomp(bool isSymmetric, int order, Complex[] matrix, Complex[] matrixEv, Complex[] vectorEv, Complex[] matrixD) =>
        Managed.EigenDecomp(isSymmetric, order, matrix, matrixEv, vectorEv, matrixD);


    // Complex32
    /// <inheritdoc/>
    public virtual void AddVectorToScaledVector(Complex32[] y, Complex32 alpha, Complex32[] x, Complex32[] result) =>
        Managed.AddVectorToScaledVector(y, alpha, x, result);

    /// <inheritdoc/>
    public virtual void ScaleArray(Complex32 alpha, Complex32[] x, Complex32[] result) =>
        Managed.ScaleArray(alpha, x, result);

    /// <inheritdoc/>
    public virtual void ConjugateArray(Complex32[] x, Complex32[] result) =>
        Managed.ConjugateArray(x, result);

    /// <inheritdoc/>
    public virtual Complex32 DotProduct(Complex32[] x, Complex32[] y) =>
        Managed.DotProduct(x, y);

    /// <inheritdoc/>
    public virtual void AddArrays(Complex32[] x, Complex32[] y, Complex32[] result) =>
        Managed.AddArrays(x, y, result);

    /// <inheritdoc/>
    public virtual void SubtractArrays(Complex32[] x, Complex32[] y, Complex32[] result) =>
        Managed.SubtractArrays(x, y, result);

    /// <inheritdoc/>
    public virtual void PointWiseMultiplyArrays(Complex32[] x, Complex32[] y, Complex32[] result) =>
        Managed.PointWiseMultiplyArrays(x, y, result);

    /// <inheritdoc/>
    public virtual void PointWiseDivideArrays(Complex32[] x, Complex32[] y, Complex32[] result) =>
        Managed.PointWiseDivideArrays(x, y, result);

    /// <inheritdoc/>
    public virtual void PointWisePowerArrays(Complex32[] x, Complex32[] y, Complex32[] result) =>
        Managed.PointWisePowerArrays(x, y, result);

    /// <inheritdoc/>
    public virtual double MatrixNorm(Norm norm, int rows, int columns, Complex32[] matrix) =>
        Managed.MatrixNorm(norm, rows, columns, matrix);

    /// <inheritdoc/>
    public virtual void MatrixMultiply(Complex32[] x, int rowsX, int columnsX, Complex32[] y, int rowsY, int columnsY, Complex32[] result) =>
        Managed.MatrixMultiply(x, rowsX, columnsX, y, rowsY, columnsY, result);

    /// <inheritdoc/>
    public virtual void MatrixMultiplyWithUpdate(Transpose transposeA, Transpose transposeB, Complex32 alpha, Complex32[] a, int rowsA, int columnsA, Complex32[] b, int rowsB, int columnsB, Complex32 beta, Complex32[] c) =>
        Managed.MatrixMultiplyWithUpdate(transposeA, transposeB, alpha, a, rowsA, columnsA, b, rowsB, columnsB, beta, c);

    /// <inheritdoc/>
    public virtual void LUFactor(Complex32[] data, int order, int[] ipiv) =>
        Managed.LUFactor(data, order, ipiv);

    /// <inheritdoc/>
    public virtual void LUInverse(Complex32[] a, int order) =>
        Managed.LUInverse(a, order);

    /// <inheritdoc/>
    public virtual void LUInverseFactored(Complex32[] a, int order, int[] ipiv) =>
        Managed.LUInverseFactored(a, order, ipiv);

    /// <inheritdoc/>
    public virtual void LUSolve(int columnsOfB, Complex32[] a, int order, Complex32[] b) =>
        Managed.LUSolve(columnsOfB, a, order, b);

    /// <inheritdoc/>
    public virtual void LUSolveFactored(int columnsOfB, Complex32[] a, int order, int[] ipiv, Complex32[] b) =>
        Managed.LUSolveFactored(columnsOfB, a, order, ipiv, b);

    /// <inheritdoc/>
    public virtual void CholeskyFactor(Complex32[] a, int order) =>
        Managed.CholeskyFactor(a, order);

    /// <inheritdoc/>
    public virtual void CholeskySolve(Complex32[] a, int orderA, Complex32[] b, int columnsB) =>
        Managed.CholeskySolve(a, orderA, b, columnsB);

    /// <inheritdoc/>
    public virtual void CholeskySolveFactored(Complex32[] a, int orderA, Complex32[] b, int columnsB) =>
        Managed.CholeskySolveFactored(a, orderA, b, columnsB);

    /// <inheritdoc/>
    public virtual void QRFactor(Complex32[] a, int rowsA, int columnsA, Complex32[] q, Complex32[] tau) =>
        Managed.QRFactor(a, rowsA, columnsA, q, tau);

    /// <inheritdoc/>
    public virtual void ThinQRFactor(Complex32[] a, int rowsA, int columnsA, Complex32[] r, Complex32[] tau) =>
        Managed.ThinQRFactor(a, rowsA, columnsA, r, tau);

    /// <inheritdoc/>
    public virtual void QRSolve(Complex32[] a, int rows, int columns, Complex32[] b, int columnsB, Complex32[] x, QRMethod method) =>
        Managed.QRSolve(a, rows, columns, b, columnsB, x, method);

    /// <inheritdoc/>
    public virtual void QRSolveFactored(Complex32[] q, Complex32[] r, int rowsA, int columnsA, Complex32[] tau, Complex32[] b, int columnsB, Complex32[] x, QRMethod method) =>
        Managed.QRSolveFactored(q, r, rowsA, columnsA, tau, b, columnsB, x, method);

    /// <inheritdoc/>
    public virtual void SingularValueDecomposition(bool computeVectors, Complex32[] a, int rowsA, int columnsA, Complex32[] s, Complex32[] u, Complex32[] vt) =>
        Managed.SingularValueDecomposition(computeVectors, a, rowsA, columnsA, s, u, vt);

    /// <inheritdoc/>
    public virtual void SvdSolve(Complex32[] a, int rowsA, int columnsA, Complex32[] b, int columnsB, Complex32[] x) =>
        Managed.SvdSolve(a, rowsA, columnsA, b, columnsB, x);

    /// <inheritdoc/>
    public virtual void SvdSolveFactored(int rowsA, int columnsA, Complex32[] s, Complex32[] u, Complex32[] vt, Complex32[] b, int columnsB, Complex32[] x) =>
        Managed.SvdSolveFactored(rowsA, columnsA, s, u, vt, b, columnsB, x);

    /// <inheritdoc/>
    public virtual void EigenDecomp(bool isSymmetric, int order, Complex32[] matrix, Complex32[] matrixEv, Complex[] vectorEv, Complex32[] matrixD) =>
        Managed.EigenDecomp(isSymmetric, order, matrix, matrixEv, vectorEv, matrixD);

}
