using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Hybrid.LinearAlgebra;

// The Vector512 path of SimdGemm (AVX-512): the same packed, cache-blocked scheme as the Vector256 path, with a larger
// register tile that the 32 vector registers allow.
static unsafe partial class SimdGemm
{
    // Blocks for a 48 KiB L1 and a 1 MiB L2 (Zen 5): a B sliver (KC × 12) stays in L1 while the A block (MC × KC,
    // 192 KiB) streams from L2. KC 256-512 and MC 128-256 measured alike (±5%, hybrid bench gemm, one core).
    const int WideKC = 256;
    const int WideMC = 192;

    /// <summary>Columns of C per micro-tile of the wide kernel; its rows are two vectors (MR = 32 floats, 16 doubles).</summary>
    const int WideNR = 12;

    /// <summary>C = alpha·op(A)·op(B) + beta·C on the Vector512 kernels (see <see cref="Multiply{T}"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void MultiplyWide<T>(
        bool transposeA, bool transposeB, int m, int n, int k, T alpha, T[] a, int lda, T[] b, int ldb, T beta, T[] c, int ldc, int threads)
        where T : unmanaged, INumber<T>
    {
        if (k == 0 || alpha == T.Zero)
        {
            ScaleOnly(m, n, beta, c, ldc);
            return;
        }

        var nr = WideNR;
        var mr = 2 * Vector512<T>.Count;
        // C's element (i, j) is at c[i·rowStep + j·columnStep].
        var (rowStep, columnStep) = (1, ldc);
        if (m < mr / 2 && n >= 2 * m)
        {
            // A short, wide C (a weight gradient with 10 outputs): most of each tile's rows would be padding. Its
            // transpose Cᵀ = op(B)ᵀ·op(A)ᵀ is tall and narrow; compute that, writing each tile transposed.
            (transposeA, transposeB, m, n, a, lda, b, ldb) = (!transposeB, !transposeA, n, m, b, ldb, a, lda);
            (rowStep, columnStep) = (ldc, 1);
        }

        // Split C into parts along whichever side has more whole tiles (a 10-column product splits its rows).
        var columnSlivers = (n + nr - 1) / nr;
        var rowSlivers = (m + mr - 1) / mr;
        var byRows = rowSlivers > columnSlivers;
        var parts = (long)m * n * k < ParallelThreshold ? 1 : Math.Min(Math.Max(1, threads), byRows ? rowSlivers : columnSlivers);
        if (parts == 1)
        {
            Block(transposeA, transposeB, k, alpha, a, lda, b, ldb, beta, c, rowStep, columnStep, 0, m, 0, n);
            return;
        }

        lock (WideJob<T>.Gate)
        {
            (WideJob<T>.TransposeA, WideJob<T>.TransposeB, WideJob<T>.M, WideJob<T>.N, WideJob<T>.K) = (transposeA, transposeB, m, n, k);
            (WideJob<T>.Alpha, WideJob<T>.Beta, WideJob<T>.A, WideJob<T>.Lda, WideJob<T>.B, WideJob<T>.Ldb, WideJob<T>.C) = (alpha, beta, a, lda, b, ldb, c);
            (WideJob<T>.RowStep, WideJob<T>.ColumnStep) = (rowStep, columnStep);
            (WideJob<T>.ByRows, WideJob<T>.Slivers, WideJob<T>.Width, WideJob<T>.Parts) =
                (byRows, byRows ? rowSlivers : columnSlivers, byRows ? mr : nr, parts);
            Workers.Run(parts, WideJob<T>.Part);
            (WideJob<T>.A, WideJob<T>.B, WideJob<T>.C) = (null!, null!, null!);
        }
    }

    /// <summary>The wide product being split across threads: each part owns whole tiles of C's rows or columns.</summary>
    static class WideJob<T> where T : unmanaged, INumber<T>
    {
        public static readonly object Gate = new();
        public static bool TransposeA, TransposeB, ByRows;
        public static int M, N, K, Lda, Ldb, RowStep, ColumnStep, Slivers, Width, Parts;
        public static T Alpha, Beta;
        public static T[] A = null!, B = null!, C = null!;

        public static readonly Action<int> Part = [MethodImpl(MethodImplOptions.AggressiveOptimization)] (t) =>
        {
            var first = (int)((long)Slivers * t / Parts) * Width;
            var last = (int)((long)Slivers * (t + 1) / Parts) * Width;
            if (ByRows) Block(TransposeA, TransposeB, K, Alpha, A, Lda, B, Ldb, Beta, C, RowStep, ColumnStep, first, Math.Min(M, last), 0, N);
            else Block(TransposeA, TransposeB, K, Alpha, A, Lda, B, Ldb, Beta, C, RowStep, ColumnStep, 0, M, first, Math.Min(N, last));
        };
    }

    /// <summary>
    /// C[i0..i1, j0..j1] of the product (element (i, j) at c[i·rowStep + j·columnStep]), blocked: KC of the inner
    /// dimension, MC rows of A, all of the part's columns of B.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Block<T>(
        bool transposeA, bool transposeB, int k, T alpha, T[] a, int lda, T[] b, int ldb, T beta, T[] c, int rowStep, int columnStep,
        int i0, int i1, int j0, int j1)
        where T : unmanaged, INumber<T>
    {
        const int nr = WideNR;
        var mr = 2 * Vector512<T>.Count;
        var kcMax = Math.Min(WideKC, k);
        var mcMax = Math.Max(mr, WideMC / mr * mr);
        var width = j1 - j0;
        var height = i1 - i0;
        var slivers = (width + nr - 1) / nr;
        // With one sliver of B, each sliver of A is used once: the kernel reads A's columns where they are.
        var direct = !transposeA && slivers == 1;
        var packedB = Buffers<T>.B(slivers * nr * kcMax);
        var packedA = Buffers<T>.A(Math.Min(mcMax, (height + mr - 1) / mr * mr) * kcMax);
        // The edge tile lives in the caller's frame, as in Columns.
        var tile = stackalloc T[32 * nr];
        fixed (T* pa = packedA, pb = packedB, pc = c, sa = a, sb = b)
        {
            for (var p0 = 0; p0 < k; p0 += kcMax)
            {
                var kc = Math.Min(kcMax, k - p0);
                var betaHere = p0 == 0 ? beta : T.One; // later blocks add to what the first wrote
                PackWideB(transposeB, sb, ldb, p0, kc, j0, width, nr, pb);
                for (var r0 = i0; r0 < i1; r0 += mcMax)
                {
                    var mc = Math.Min(mcMax, i1 - r0);
                    if (!direct) PackWideA(transposeA, sa, lda, r0, mc, p0, kc, mr, pa);
                    for (var s = 0; s < slivers; s++)
                    {
                        var cols = Math.Min(nr, width - s * nr);
                        var bs = pb + s * nr * kc;
                        var cs = pc + (long)(j0 + s * nr) * columnStep + (long)r0 * rowStep;
                        for (var r = 0; r * mr < mc; r++)
                        {
                            var rows = Math.Min(mr, mc - r * mr);
                            var ap = pa + r * mr * kc;
                            nint step = mr;
                            if (direct && rows == mr)
                            {
                                ap = sa + (long)p0 * lda + r0 + r * mr;
                                step = lda;
                            }
                            else if (direct) PackWideA(transposeA, sa, lda, r0 + r * mr, rows, p0, kc, mr, ap = pa);
                            Kernel2x12(kc, ap, step, bs, cs + (long)r * mr * rowStep, rowStep, columnStep, rows, cols, alpha, betaHere, tile);
                        }
                    }
                }
            }
        }
    }

    /// <summary>op(B)[p0.., j0..] into nr-column slivers: sliver s holds kc rows of nr values each (zero-padded).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void PackWideB<T>(bool transposed, T* b, int ldb, int p0, int kc, int j0, int width, int nr, T* into) where T : unmanaged, INumber<T>
    {
        var step = Vector128<T>.Count;
        for (var s = 0; s * nr < width; s++)
        {
            var sliver = into + s * nr * kc;
            var cols = Math.Min(nr, width - s * nr);
            var left = j0 + s * nr;
            if (transposed)
            {
                // op(B)'s row p is contiguous in B's storage: copy nr values a row, a 128-bit vector at a time.
                for (var p = 0; p < kc; p++)
                {
                    var src = b + (long)(p0 + p) * ldb + left;
                    var dst = sliver + p * nr;
                    if (cols == nr)
                    {
                        for (var jj = 0; jj < nr; jj += step) Vector128.Load(src + jj).Store(dst + jj);
                    }
                    else
                    {
                        for (var jj = 0; jj < cols; jj++) dst[jj] = src[jj];
                        for (var jj = cols; jj < nr; jj++) dst[jj] = T.Zero;
                    }
                }
            }
            else
            {
                // op(B)'s column j is contiguous: read columns down, write them across the sliver.
                Interleave(b + (long)left * ldb + p0, ldb, cols, kc, nr, sliver);
            }
        }
    }

    /// <summary>op(A)[i0.., p0..] into mr-row slivers: sliver r holds kc columns of mr values each (zero-padded).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void PackWideA<T>(bool transposed, T* a, int lda, int i0, int mc, int p0, int kc, int mr, T* into) where T : unmanaged, INumber<T>
    {
        var w = Vector512<T>.Count;
        for (var r = 0; r * mr < mc; r++)
        {
            var sliver = into + r * mr * kc;
            var rows = Math.Min(mr, mc - r * mr);
            var top = i0 + r * mr;
            if (!transposed)
            {
                // A column is contiguous: copy a run of rows, a vector at a time when the sliver is whole.
                for (var p = 0; p < kc; p++)
                {
                    var src = a + (long)(p0 + p) * lda + top;
                    var dst = sliver + p * mr;
                    if (rows == mr)
                    {
                        for (var ii = 0; ii < mr; ii += w) Vector512.Load(src + ii).Store(dst + ii);
                    }
                    else
                    {
                        for (var ii = 0; ii < rows; ii++) dst[ii] = src[ii];
                        for (var ii = rows; ii < mr; ii++) dst[ii] = T.Zero;
                    }
                }
            }
            else
            {
                // op(A)'s row i is A's column i: read columns down, write them across the sliver.
                Interleave(a + (long)top * lda + p0, lda, rows, kc, mr, sliver);
            }
        }
    }

    /// <summary>
    /// into[p·width + q] = from[q·ld + p] for q &lt; count, p &lt; kc, and zero for q in count..width: count columns of
    /// kc values, read down and written across (a transpose). For float, 4×4 blocks through 128-bit shuffles.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Interleave<T>(T* from, int ld, int count, int kc, int width, T* into) where T : unmanaged, INumber<T>
    {
        var p = 0;
        var q0 = 0;
        if (typeof(T) == typeof(float) && Sse.IsSupported)
        {
            // Four columns at a time, four values down each: one 4×4 transpose per block.
            var f = (float*)from;
            var t = (float*)into;
            for (; q0 + 4 <= count; q0 += 4)
            {
                float* s0 = f + (long)q0 * ld, s1 = s0 + ld, s2 = s1 + ld, s3 = s2 + ld;
                for (p = 0; p + 4 <= kc; p += 4)
                {
                    var r0 = Sse.LoadVector128(s0 + p);
                    var r1 = Sse.LoadVector128(s1 + p);
                    var r2 = Sse.LoadVector128(s2 + p);
                    var r3 = Sse.LoadVector128(s3 + p);
                    var t0 = Sse.UnpackLow(r0, r1);
                    var t1 = Sse.UnpackLow(r2, r3);
                    var t2 = Sse.UnpackHigh(r0, r1);
                    var t3 = Sse.UnpackHigh(r2, r3);
                    var d = t + p * width + q0;
                    Sse.Store(d, Sse.MoveLowToHigh(t0, t1));
                    Sse.Store(d + width, Sse.MoveHighToLow(t1, t0));
                    Sse.Store(d + 2 * width, Sse.MoveLowToHigh(t2, t3));
                    Sse.Store(d + 3 * width, Sse.MoveHighToLow(t3, t2));
                }

                for (; p < kc; p++)
                {
                    var d = t + p * width + q0;
                    (d[0], d[1], d[2], d[3]) = (s0[p], s1[p], s2[p], s3[p]);
                }
            }
        }

        for (var q = q0; q < count; q++)
        {
            var src = from + (long)q * ld;
            for (p = 0; p < kc; p++) into[p * width + q] = src[p];
        }

        for (var q = count; q < width; q++)
        for (p = 0; p < kc; p++)
            into[p * width + q] = T.Zero;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector512<T> Fma<T>(Vector512<T> a, Vector512<T> b, Vector512<T> c)
    {
        if (typeof(T) == typeof(float)) return Vector512.FusedMultiplyAdd(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>();
        if (typeof(T) == typeof(double)) return Vector512.FusedMultiplyAdd(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();
        return a * b + c;
    }

    /// <summary>
    /// C[0..rows, 0..cols] = alpha·(A sliver · B sliver) + beta·C with a (2 vectors)×12 tile: 24 accumulators, two
    /// operand vectors and a broadcast, within the 32 vector registers. A's column p is at a + p·aStep (a packed
    /// sliver: MR; A read in place: its leading dimension); C's (i, j) at c[i·rowStep + j·columnStep].
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Kernel2x12<T>(
        int kc, T* a, nint aStep, T* b, T* c, int rowStep, int columnStep, int rows, int cols, T alpha, T beta, T* tile)
        where T : unmanaged, INumber<T>
    {
        var w = Vector512<T>.Count;
        Vector512<T> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector512<T> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        Vector512<T> c60 = default, c61 = default, c70 = default, c71 = default, c80 = default, c81 = default;
        Vector512<T> c90 = default, c91 = default, ca0 = default, ca1 = default, cb0 = default, cb1 = default;
        for (var p = 0; p < kc; p++)
        {
            var a0 = Vector512.Load(a);
            var a1 = Vector512.Load(a + w);
            var bj = Vector512.Create(b[0]);
            c00 = Fma(a0, bj, c00);
            c01 = Fma(a1, bj, c01);
            bj = Vector512.Create(b[1]);
            c10 = Fma(a0, bj, c10);
            c11 = Fma(a1, bj, c11);
            bj = Vector512.Create(b[2]);
            c20 = Fma(a0, bj, c20);
            c21 = Fma(a1, bj, c21);
            bj = Vector512.Create(b[3]);
            c30 = Fma(a0, bj, c30);
            c31 = Fma(a1, bj, c31);
            bj = Vector512.Create(b[4]);
            c40 = Fma(a0, bj, c40);
            c41 = Fma(a1, bj, c41);
            bj = Vector512.Create(b[5]);
            c50 = Fma(a0, bj, c50);
            c51 = Fma(a1, bj, c51);
            bj = Vector512.Create(b[6]);
            c60 = Fma(a0, bj, c60);
            c61 = Fma(a1, bj, c61);
            bj = Vector512.Create(b[7]);
            c70 = Fma(a0, bj, c70);
            c71 = Fma(a1, bj, c71);
            bj = Vector512.Create(b[8]);
            c80 = Fma(a0, bj, c80);
            c81 = Fma(a1, bj, c81);
            bj = Vector512.Create(b[9]);
            c90 = Fma(a0, bj, c90);
            c91 = Fma(a1, bj, c91);
            bj = Vector512.Create(b[10]);
            ca0 = Fma(a0, bj, ca0);
            ca1 = Fma(a1, bj, ca1);
            bj = Vector512.Create(b[11]);
            cb0 = Fma(a0, bj, cb0);
            cb1 = Fma(a1, bj, cb1);
            a += aStep;
            b += 12;
        }

        if (rows == 2 * w && cols == 12 && rowStep == 1)
        {
            // A full tile: scale and add straight into C's columns.
            Column(c00, c01, c, alpha, beta, w);
            Column(c10, c11, c + columnStep, alpha, beta, w);
            Column(c20, c21, c + 2 * columnStep, alpha, beta, w);
            Column(c30, c31, c + 3 * columnStep, alpha, beta, w);
            Column(c40, c41, c + 4 * columnStep, alpha, beta, w);
            Column(c50, c51, c + 5 * columnStep, alpha, beta, w);
            Column(c60, c61, c + 6 * columnStep, alpha, beta, w);
            Column(c70, c71, c + 7 * columnStep, alpha, beta, w);
            Column(c80, c81, c + 8 * columnStep, alpha, beta, w);
            Column(c90, c91, c + 9 * columnStep, alpha, beta, w);
            Column(ca0, ca1, c + 10 * columnStep, alpha, beta, w);
            Column(cb0, cb1, c + 11 * columnStep, alpha, beta, w);
            return;
        }

        // An edge tile: spill to the caller's scratch, then copy the rows and columns that exist.
        var mr = 2 * w;
        Store(c00, c01, tile, w);
        Store(c10, c11, tile + mr, w);
        Store(c20, c21, tile + 2 * mr, w);
        Store(c30, c31, tile + 3 * mr, w);
        Store(c40, c41, tile + 4 * mr, w);
        Store(c50, c51, tile + 5 * mr, w);
        Store(c60, c61, tile + 6 * mr, w);
        Store(c70, c71, tile + 7 * mr, w);
        Store(c80, c81, tile + 8 * mr, w);
        Store(c90, c91, tile + 9 * mr, w);
        Store(ca0, ca1, tile + 10 * mr, w);
        Store(cb0, cb1, tile + 11 * mr, w);
        CopyEdge(tile, mr, c, rowStep, columnStep, rows, cols, alpha, beta);
    }

    /// <summary>C[0..rows, 0..cols] = alpha·tile + beta·C from a spilled tile of mr rows a column (C's (i, j) at c[i·rowStep + j·columnStep]).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void CopyEdge<T>(T* tile, int mr, T* c, int rowStep, int columnStep, int rows, int cols, T alpha, T beta) where T : unmanaged, INumber<T>
    {
        for (var j = 0; j < cols; j++)
        {
            var column = c + (long)j * columnStep;
            var acc = tile + j * mr;
            if (beta == T.Zero)
                for (var i = 0; i < rows; i++) column[(long)i * rowStep] = alpha * acc[i];
            else
                for (var i = 0; i < rows; i++) column[(long)i * rowStep] = alpha * acc[i] + beta * column[(long)i * rowStep];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Column<T>(Vector512<T> low, Vector512<T> high, T* to, T alpha, T beta, int w) where T : unmanaged, INumber<T>
    {
        if (beta == T.Zero)
        {
            (low * alpha).Store(to);
            (high * alpha).Store(to + w);
        }
        else
        {
            (low * alpha + Vector512.Load(to) * beta).Store(to);
            (high * alpha + Vector512.Load(to + w) * beta).Store(to + w);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Store<T>(Vector512<T> low, Vector512<T> high, T* to, int w) where T : unmanaged
    {
        low.Store(to);
        high.Store(to + w);
    }
}
