using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Hybrid.LinearAlgebra;

/// <summary>
/// A cache-blocked, vectorised matrix multiply in pure .NET: C = alpha·op(A)·op(B) + beta·C over column-major
/// storage. The operands are packed into panels (blocks of KC along the inner dimension, A in slivers of MR rows,
/// B in slivers of NR columns) and a register-blocked micro-kernel computes MR×NR tiles of C with fused
/// multiply-adds on Vector256. One generic definition serves float (MR = 16) and double (MR = 8). With AVX-512 the
/// wide path (SimdGemm.Wide.cs) does the same with Vector512 and a 2-vector × 12 tile (float MR = 32, double 16).
/// </summary>
static unsafe partial class SimdGemm
{
    const int NR = 6;  // columns of C per micro-tile: 2 × 6 accumulators + 3 operands fit the 16 vector registers
    const int KC = 256; // inner-dimension block: one A sliver and one B sliver stay in L1
    const int MC = 96;  // rows of A packed at once (a multiple of MR for both precisions)

    /// <summary>Products smaller than this many multiply-adds run on one thread.</summary>
    const long ParallelThreshold = 1L << 20;

    /// <summary>Packing buffers, one pair per thread and element type, reused across calls.</summary>
    static class Buffers<T>
    {
        [ThreadStatic] static T[]? a;
        [ThreadStatic] static T[]? b;

        public static T[] A(int size) => a is { } x && x.Length >= size ? x : a = new T[size];

        public static T[] B(int size) => b is { } x && x.Length >= size ? x : b = new T[size];
    }

    public static bool IsSupported => Vector256.IsHardwareAccelerated;

    /// <summary>Whether the Vector512 path (<see cref="MultiplyWide{T}"/>'s kernels) can run here: AVX-512.</summary>
    public static bool IsWideSupported => Vector512.IsHardwareAccelerated;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<T> Fma<T>(Vector256<T> a, Vector256<T> b, Vector256<T> c)
    {
        // The JIT compiles one branch per instantiation; each is a single vfmadd instruction.
        if (typeof(T) == typeof(float)) return Vector256.FusedMultiplyAdd(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>();
        if (typeof(T) == typeof(double)) return Vector256.FusedMultiplyAdd(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();
        return a * b + c;
    }

    // The kernels below carry AggressiveOptimization: compiled optimised at their first call, where tiered
    // compilation (on in any application but the hybrid command) would run their vector loops unoptimised for the
    // first hundreds of batches (build/first-epoch.sh measures the first epoch against the third).
    /// <summary>C (m×n, leading dimension ldc) = alpha·op(A)·op(B) + beta·C, op(A) m×k, op(B) k×n, all column-major.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Multiply<T>(
        bool transposeA, bool transposeB, int m, int n, int k, T alpha, T[] a, int lda, T[] b, int ldb, T beta, T[] c, int ldc, int threads,
        bool wide = false)
        where T : unmanaged, INumber<T>
    {
        if (m == 0 || n == 0) return;
        if (wide && IsWideSupported)
        {
            MultiplyWide(transposeA, transposeB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, threads);
            return;
        }

        if (k == 0 || alpha == T.Zero)
        {
            ScaleOnly(m, n, beta, c, ldc);
            return;
        }

        var slivers = (n + NR - 1) / NR;
        var chunks = (long)m * n * k < ParallelThreshold ? 1 : Math.Min(Math.Max(1, threads), slivers);
        if (chunks == 1)
        {
            Columns(transposeA, transposeB, m, k, alpha, a, lda, b, ldb, beta, c, ldc, 0, n);
            return;
        }

        // Each chunk owns a range of C's columns (whole NR slivers), so no two threads write one element. The
        // arguments travel in static fields read by a cached delegate, so the fork-join allocates nothing.
        lock (Job<T>.Gate)
        {
            (Job<T>.TransposeA, Job<T>.TransposeB, Job<T>.M, Job<T>.N, Job<T>.K) = (transposeA, transposeB, m, n, k);
            (Job<T>.Alpha, Job<T>.Beta, Job<T>.A, Job<T>.Lda, Job<T>.B, Job<T>.Ldb, Job<T>.C, Job<T>.Ldc) = (alpha, beta, a, lda, b, ldb, c, ldc);
            (Job<T>.Slivers, Job<T>.Chunks) = (slivers, chunks);
            Workers.Run(chunks, Job<T>.Part);
            (Job<T>.A, Job<T>.B, Job<T>.C) = (null!, null!, null!);
        }
    }

    /// <summary>C = beta·C (beta 0 writes zeros, whatever C held): the product when k is 0 or alpha is 0.</summary>
    static void ScaleOnly<T>(int m, int n, T beta, T[] c, int ldc) where T : unmanaged, INumber<T>
    {
        for (var j = 0; j < n; j++)
        for (var i = 0; i < m; i++)
            c[j * ldc + i] = beta == T.Zero ? T.Zero : beta * c[j * ldc + i];
    }

    /// <summary>The product being split across threads, and the delegate that computes one chunk of it.</summary>
    static class Job<T> where T : unmanaged, INumber<T>
    {
        public static readonly object Gate = new();
        public static bool TransposeA, TransposeB;
        public static int M, N, K, Lda, Ldb, Ldc, Slivers, Chunks;
        public static T Alpha, Beta;
        public static T[] A = null!, B = null!, C = null!;

        public static readonly Action<int> Part = [MethodImpl(MethodImplOptions.AggressiveOptimization)] (t) =>
        {
            var first = (int)((long)Slivers * t / Chunks) * NR;
            var last = Math.Min(N, (int)((long)Slivers * (t + 1) / Chunks) * NR);
            Columns(TransposeA, TransposeB, M, K, Alpha, A, Lda, B, Ldb, Beta, C, Ldc, first, last);
        };
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Columns<T>(
        bool transposeA, bool transposeB, int m, int k, T alpha, T[] a, int lda, T[] b, int ldb, T beta, T[] c, int ldc, int j0, int j1)
        where T : unmanaged, INumber<T>
    {
        var mr = 2 * Vector256<T>.Count;
        var width = j1 - j0;
        var slivers = (width + NR - 1) / NR;
        var packedB = Buffers<T>.B(slivers * NR * KC);
        var packedA = Buffers<T>.A(MC * KC);
        // The edge tile lives in the caller's frame: a stackalloc inside the kernel would stop the JIT keeping the
        // twelve accumulators in registers (measured: 4x slower).
        var tile = stackalloc T[2 * mr * NR];
        // alpha and beta reach the kernel through memory: held in registers across its loop they would leave the twelve
        // accumulators, the two A vectors and the broadcast one register short of the sixteen, and the JIT would keep an
        // accumulator on the stack (a load and a store every step: 2048³ on one thread of a Zen 3, fastest call 38 → 75 GFLOP/s, OpenBLAS 83-88).
        var scale = stackalloc T[2];
        scale[0] = alpha;
        fixed (T* pa = packedA, pb = packedB, pc = c)
        {
            for (var p0 = 0; p0 < k; p0 += KC)
            {
                var kc = Math.Min(KC, k - p0);
                scale[1] = p0 == 0 ? beta : T.One; // later blocks add to what the first wrote
                PackB(transposeB, b, ldb, p0, kc, j0, width, pb);
                for (var i0 = 0; i0 < m; i0 += MC)
                {
                    var mc = Math.Min(MC, m - i0);
                    PackA(transposeA, a, lda, i0, mc, p0, kc, mr, pa);
                    for (var s = 0; s < slivers; s++)
                    {
                        var nr = Math.Min(NR, width - s * NR);
                        for (var r = 0; r * mr < mc; r++)
                        {
                            var rows = Math.Min(mr, mc - r * mr);
                            Kernel(kc, pa + r * mr * kc, pb + s * NR * kc, pc + (j0 + s * NR) * ldc + i0 + r * mr, ldc, rows, nr, scale, tile);
                        }
                    }
                }
            }
        }
    }

    /// <summary>op(B)[p0.., j0..] into NR-column slivers: sliver s holds kc rows of NR values each (zero-padded).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void PackB<T>(bool transposed, T[] b, int ldb, int p0, int kc, int j0, int width, T* into) where T : unmanaged, INumber<T>
    {
        for (var s = 0; s * NR < width; s++)
        {
            var sliver = into + s * NR * kc;
            var cols = Math.Min(NR, width - s * NR);
            for (var p = 0; p < kc; p++)
            {
                for (var jj = 0; jj < cols; jj++)
                {
                    var j = j0 + s * NR + jj;
                    sliver[p * NR + jj] = transposed ? b[(p0 + p) * ldb + j] : b[j * ldb + p0 + p];
                }

                for (var jj = cols; jj < NR; jj++) sliver[p * NR + jj] = T.Zero;
            }
        }
    }

    /// <summary>op(A)[i0.., p0..] into MR-row slivers: sliver r holds kc columns of MR values each (zero-padded).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void PackA<T>(bool transposed, T[] a, int lda, int i0, int mc, int p0, int kc, int mr, T* into) where T : unmanaged, INumber<T>
    {
        for (var r = 0; r * mr < mc; r++)
        {
            var sliver = into + r * mr * kc;
            var rows = Math.Min(mr, mc - r * mr);
            var top = i0 + r * mr;
            for (var p = 0; p < kc; p++)
            {
                var dst = sliver + p * mr;
                if (!transposed)
                {
                    // A column is contiguous: copy a run of rows.
                    new ReadOnlySpan<T>(a, (p0 + p) * lda + top, rows).CopyTo(new Span<T>(dst, rows));
                }
                else
                {
                    for (var ii = 0; ii < rows; ii++) dst[ii] = a[(top + ii) * lda + p0 + p];
                }

                for (var ii = rows; ii < mr; ii++) dst[ii] = T.Zero;
            }
        }
    }

    /// <summary>
    /// C[0..rows, 0..cols] = alpha·(A sliver · B sliver) + beta·C (alpha = scale[0], beta = scale[1]), accumulating an
    /// MR×NR tile in registers.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Kernel<T>(int kc, T* a, T* b, T* c, int ldc, int rows, int cols, T* scale, T* tile) where T : unmanaged, INumber<T>
    {
        var w = Vector256<T>.Count;
        Vector256<T> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<T> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (var p = 0; p < kc; p++)
        {
            var a0 = Vector256.Load(a);
            var a1 = Vector256.Load(a + w);
            var bj = Vector256.Create(b[0]);
            c00 = Fma(a0, bj, c00);
            c01 = Fma(a1, bj, c01);
            bj = Vector256.Create(b[1]);
            c10 = Fma(a0, bj, c10);
            c11 = Fma(a1, bj, c11);
            bj = Vector256.Create(b[2]);
            c20 = Fma(a0, bj, c20);
            c21 = Fma(a1, bj, c21);
            bj = Vector256.Create(b[3]);
            c30 = Fma(a0, bj, c30);
            c31 = Fma(a1, bj, c31);
            bj = Vector256.Create(b[4]);
            c40 = Fma(a0, bj, c40);
            c41 = Fma(a1, bj, c41);
            bj = Vector256.Create(b[5]);
            c50 = Fma(a0, bj, c50);
            c51 = Fma(a1, bj, c51);
            a += 2 * w;
            b += NR;
        }

        T alpha = scale[0], beta = scale[1];
        if (rows == 2 * w && cols == NR)
        {
            // A full tile: scale and add straight into C's columns.
            Column(c00, c01, c, alpha, beta, w);
            Column(c10, c11, c + ldc, alpha, beta, w);
            Column(c20, c21, c + 2 * ldc, alpha, beta, w);
            Column(c30, c31, c + 3 * ldc, alpha, beta, w);
            Column(c40, c41, c + 4 * ldc, alpha, beta, w);
            Column(c50, c51, c + 5 * ldc, alpha, beta, w);
            return;
        }

        // An edge tile: spill to the caller's scratch, then copy the rows and columns that exist.
        Store(c00, c01, tile, w);
        Store(c10, c11, tile + 2 * w, w);
        Store(c20, c21, tile + 4 * w, w);
        Store(c30, c31, tile + 6 * w, w);
        Store(c40, c41, tile + 8 * w, w);
        Store(c50, c51, tile + 10 * w, w);
        for (var j = 0; j < cols; j++)
        {
            var column = c + j * ldc;
            var acc = tile + j * 2 * w;
            if (beta == T.Zero)
                for (var i = 0; i < rows; i++) column[i] = alpha * acc[i];
            else
                for (var i = 0; i < rows; i++) column[i] = alpha * acc[i] + beta * column[i];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Column<T>(Vector256<T> low, Vector256<T> high, T* to, T alpha, T beta, int w) where T : unmanaged, INumber<T>
    {
        if (beta == T.Zero)
        {
            (low * alpha).Store(to);
            (high * alpha).Store(to + w);
        }
        else
        {
            (low * alpha + Vector256.Load(to) * beta).Store(to);
            (high * alpha + Vector256.Load(to + w) * beta).Store(to + w);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Store<T>(Vector256<T> low, Vector256<T> high, T* to, int w) where T : unmanaged
    {
        low.Store(to);
        high.Store(to + w);
    }
}
