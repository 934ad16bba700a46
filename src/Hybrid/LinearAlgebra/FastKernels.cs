using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Hybrid.Core;
using MathNet.Numerics.Providers.LinearAlgebra;

namespace Hybrid.LinearAlgebra;

/// <summary>
/// The training-step kernels on host memory with vector instructions: matrix products by a provider
/// (<see cref="SimdProvider"/> or <see cref="OpenBlasProvider"/>), elementwise work by vector loops of their own on the
/// per-batch path (compiled optimised from the first call) and <see cref="TensorPrimitives"/> off it. Every rule has the same operation order as the managed reference, so results agree to rounding.
/// </summary>
public sealed partial class FastKernels<T> : IKernels<T>, ISparseKernels<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    readonly ILinearAlgebraProvider<T> products;
    readonly ILinearAlgebraProvider<T>? narrow;

    /// <summary>Kernels whose matrix products run on <paramref name="products"/>.</summary>
    public FastKernels(ILinearAlgebraProvider<T> products, string name)
    {
        this.products = products;
        Name = name;
    }

    /// <summary>Products of at least this many multiply-adds also run on <see cref="narrow"/> (0: none do).</summary>
    readonly long large;

    /// <summary>
    /// Kernels whose matrix products run on <paramref name="products"/>, except the large narrow ones
    /// (<see cref="IsNarrow"/>) and, when <paramref name="large"/> is positive, those of at least that many
    /// multiply-adds, which run on <paramref name="narrow"/>.
    /// </summary>
    internal FastKernels(ILinearAlgebraProvider<T> products, string name, ILinearAlgebraProvider<T> narrow, long large = 0) : this(products, name) =>
        (this.narrow, this.large) = (narrow, large);

    /// <summary>
    /// True for a product with a side of at most 16 (a layer of ten classes) and at least 2²¹ multiply-adds: those that
    /// OpenBLAS's AVX-512 kernels (0.3.21, SkylakeX, on an Ice Lake Xeon) run at 30-55 GFLOP/s, against 50-145 for the
    /// Simd provider's 512-bit product. `hybrid bench gemm`, fastest of 60 calls by turns, two threads, OpenBLAS → Simd:
    /// 2048-10 b512 forward 49 → 109, input gradient 46 → 95, weight gradient 37 → 52; 1024-10 b256 55 → 120, 45 → 144,
    /// 50 → 71. Smaller ones stay (128-10 b64: 132 → 71 for the forward), as does a weight gradient of ten rows on one
    /// thread (42 → 32).
    /// </summary>
    internal static bool IsNarrow(bool transA, int m, int n, int k) =>
        Math.Min(m, Math.Min(n, k)) <= 16 && (long)m * n * k >= 1 << 21 && !(transA && m <= 16 && Providers.Threads == 1);

    /// <inheritdoc/>
    public string Name { get; }

    [MethodImpl(MethodImplOptions.AggressiveInlining)] // into the kernels, which are optimised from their first call
    static T[] Host(Core.Buffer<T> b) =>
        b is HostBuffer<T> h ? h.Data : throw new ArgumentException("these kernels compute on host buffers only", nameof(b));

    /// <inheritdoc/>
    public Core.Buffer<T> Allocate(int length) => new HostBuffer<T>(new T[length]);

    /// <inheritdoc/>
    public Core.Buffer<T> Wrap(T[] data) => new HostBuffer<T>(data);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Gemm(bool transA, bool transB, int m, int n, int k, T alpha, Core.Buffer<T> a, Core.Buffer<T> b, T beta, Core.Buffer<T> c)
    {
        var (ra, ca) = transA ? (k, m) : (m, k);
        var (rb, cb) = transB ? (n, k) : (k, n);
        var provider = narrow is not null && (IsNarrow(transA, m, n, k) || (large > 0 && (long)m * n * k >= large)) ? narrow : products;
        provider.MatrixMultiplyWithUpdate(transA ? Transpose.Transpose : Transpose.DontTranspose,
            transB ? Transpose.Transpose : Transpose.DontTranspose, alpha, Host(a), ra, ca, Host(b), rb, cb, beta, Host(c));
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void AddRowVector(int m, int n, Core.Buffer<T> bias, Core.Buffer<T> c)
    {
        var b = Host(bias);
        var data = Host(c);
        for (var j = 0; j < n; j++) AddScalar(data.AsSpan(j * m, m), b[j]);
    }

    // Plain vector loops for the per-batch elementwise work, not TensorPrimitives: its generic methods are compiled
    // for float in each application, unoptimised at first (tiered compilation), so for the first few hundred batches
    // they ran several times slower and then were recompiled during the first epoch; these start optimised.

    /// <summary>xs[i] += c.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void AddScalar(Span<T> xs, T c)
    {
        var i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var cv = new Vector<T>(c);
            for (; i <= xs.Length - Vector<T>.Count; i += Vector<T>.Count)
                (new Vector<T>(xs.Slice(i)) + cv).CopyTo(xs.Slice(i));
        }

        for (; i < xs.Length; i++) xs[i] += c;
    }

    /// <summary>Σ xs[i]: a vector of partial sums (lane k adds elements k, k + w, …), then the lanes and the tail.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static T Sum(ReadOnlySpan<T> xs)
    {
        var i = 0;
        var total = T.Zero;
        if (Vector.IsHardwareAccelerated && xs.Length >= Vector<T>.Count)
        {
            var sums = Vector<T>.Zero;
            for (; i <= xs.Length - Vector<T>.Count; i += Vector<T>.Count) sums += new Vector<T>(xs.Slice(i));
            total = Vector.Sum(sums);
        }

        for (; i < xs.Length; i++) total += xs[i];
        return total;
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void ColumnSums(int m, int n, Core.Buffer<T> a, Core.Buffer<T> into)
    {
        var data = Host(a);
        var sums = Host(into);
        for (var j = 0; j < n; j++) sums[j] = Sum(data.AsSpan(j * m, m));
    }

    // The activation's rule carries its own vectorised kernels (TensorPrimitives and Vector<T> in the core), the same
    // code the graph's op runs, so both training paths agree exactly.
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Activate(ActivationRule rule, int m, int n, Core.Buffer<T> x, Core.Buffer<T> y) =>
        rule.Forward<T>(m, n, Host(x), Host(y));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void ActivateBackward(ActivationRule rule, int m, int n, Core.Buffer<T> x, Core.Buffer<T> y, Core.Buffer<T> dy, Core.Buffer<T> dx) =>
        rule.Backward<T>(m, n, Host(x), Host(y), Host(dy), Host(dx));

    /// <summary>
    /// The columns of an m-row block that the fused passes below take at a time: about <see cref="FusedChunk"/> elements,
    /// a few times L1 at most, so that the second of the two operations reads what the first wrote from cache.
    /// </summary>
    static int ChunkColumns(int m) => Math.Max(1, FusedChunk / Math.Max(1, m));

    /// <summary>Elements per chunk of the fused passes (16 KiB of float).</summary>
    const int FusedChunk = 4096;

    /// <summary>The end of the chunk of columns from <paramref name="start"/>: a short remainder joins the chunk before
    /// it, so that every call of the rule covers at least a whole chunk (or the whole block) and takes the same vector
    /// paths as one call over the whole block.</summary>
    static int ChunkEnd(int start, int chunk, int n) => n - start < 2 * chunk ? n : start + chunk;

    /// <summary>Whether a rule may run on chunks of columns: elementwise, and not a graph activation (which records a
    /// graph for every block shape it sees, so whole blocks suit it better).</summary>
    static bool Chunked(ActivationRule rule) => rule.Elementwise && rule is not GraphActivationRule;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void AddRowVectorActivate(int m, int n, Core.Buffer<T> bias, Core.Buffer<T> c, ActivationRule rule, Core.Buffer<T> y)
    {
        if (!Chunked(rule))
        {
            AddRowVector(m, n, bias, c);
            Activate(rule, m, n, c, y);
            return;
        }

        // A few columns at a time: the bias added, then the activation over those columns while they are in cache
        // (an elementwise rule computes each element alone, so the chunks give the numbers of one call).
        var b = Host(bias);
        var data = Host(c);
        var ys = Host(y);
        var chunk = ChunkColumns(m);
        for (var start = 0; start < n;)
        {
            var end = ChunkEnd(start, chunk, n);
            for (var j = start; j < end; j++) AddScalar(data.AsSpan(j * m, m), b[j]);
            var count = (end - start) * m;
            rule.Forward<T>(m, end - start, data.AsSpan(start * m, count), ys.AsSpan(start * m, count));
            start = end;
        }
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void ActivateBackwardColumnSums(
        ActivationRule rule, int m, int n, Core.Buffer<T> x, Core.Buffer<T> y, Core.Buffer<T> dy, Core.Buffer<T> dx, Core.Buffer<T> into)
    {
        if (!Chunked(rule))
        {
            ActivateBackward(rule, m, n, x, y, dy, dx);
            ColumnSums(m, n, dx, into);
            return;
        }

        // As above: the gradient of a few columns, then their sums (ColumnSums's order) while they are in cache.
        T[] xs = Host(x), ys = Host(y), dys = Host(dy), dxs = Host(dx), sums = Host(into);
        var chunk = ChunkColumns(m);
        for (var start = 0; start < n;)
        {
            var end = ChunkEnd(start, chunk, n);
            var (from, count) = (start * m, (end - start) * m);
            rule.Backward<T>(m, end - start, xs.AsSpan(from, count), ys.AsSpan(from, count), dys.AsSpan(from, count), dxs.AsSpan(from, count));
            for (var j = start; j < end; j++) sums[j] = Sum(dxs.AsSpan(j * m, m));
            start = end;
        }
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Multiply(int count, Core.Buffer<T> x, Core.Buffer<T> mask, Core.Buffer<T> y)
    {
        // y = x ⊙ mask (dropout), a vector at a time, as AddScalar below.
        ReadOnlySpan<T> xs = Host(x).AsSpan(0, count), ms = Host(mask).AsSpan(0, count);
        var ys = Host(y).AsSpan(0, count);
        var i = 0;
        if (Vector.IsHardwareAccelerated)
            for (; i <= count - Vector<T>.Count; i += Vector<T>.Count)
                (new Vector<T>(xs.Slice(i)) * new Vector<T>(ms.Slice(i))).CopyTo(ys.Slice(i));
        for (; i < count; i++) ys[i] = xs[i] * ms[i];
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public double SoftmaxCrossEntropy(int m, int k, Core.Buffer<T> logits, Core.Buffer<T> targets, Core.Buffer<T> gradient) =>
        Kernel.softmaxCrossEntropy(m, k, Host(logits), Host(targets), Host(gradient));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public double MeanSquaredError(int count, Core.Buffer<T> prediction, Core.Buffer<T> targets, Core.Buffer<T> gradient) =>
        ((IKernels<T>)ManagedKernels<T>.Instance).MeanSquaredError(count, prediction, targets, gradient);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public double SumOfSquares(int count, Core.Buffer<T> x) => double.CreateTruncating(TensorPrimitives.SumOfSquares<T>(Host(x).AsSpan(0, count)));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Scale(int count, T c, Core.Buffer<T> x)
    {
        var xs = Host(x).AsSpan(0, count);
        TensorPrimitives.Multiply(xs, c, xs);
    }
}
