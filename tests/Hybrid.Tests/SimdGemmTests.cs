using Hybrid.LinearAlgebra;

namespace Hybrid.Tests;

/// <summary>
/// SimdGemm, on its Vector512 path (AVX-512) and its Vector256 path, against a plain triple loop in double: every
/// transpose form, sizes that are not multiples of any tile, leading dimensions wider than the rows, alpha and beta,
/// one and two threads.
/// </summary>
public class SimdGemmTests
{
    static readonly int[] Sizes = [1, 7, 33, 100, 257];

    /// <summary>Operands with leading dimensions two wider than their rows, and a C whose padding must stay untouched.</summary>
    sealed class Case<T> where T : struct
    {
        public required int M, N, K, Lda, Ldb, Ldc;
        public required bool TransposeA, TransposeB;
        public required T[] A, B, C;
        public required double[] Ad, Bd, Cd;
    }

    static Case<double> Make(int m, int n, int k, bool ta, bool tb, int seed, double fill)
    {
        var rng = new Random(seed);
        var (rowsA, colsA) = ta ? (k, m) : (m, k);
        var (rowsB, colsB) = tb ? (n, k) : (k, n);
        double[] Random(int rows, int cols, int ld) =>
            Enumerable.Range(0, ld * Math.Max(cols, 1)).Select(i => i % ld < rows ? rng.NextDouble() * 2 - 1 : 1e30).ToArray();
        var a = Random(rowsA, colsA, rowsA + 2);
        var b = Random(rowsB, colsB, rowsB + 2);
        var c = Enumerable.Range(0, (m + 2) * n).Select(i => i % (m + 2) < m ? fill : -7.0).ToArray();
        return new Case<double>
        {
            M = m, N = n, K = k, Lda = rowsA + 2, Ldb = rowsB + 2, Ldc = m + 2, TransposeA = ta, TransposeB = tb,
            A = a, B = b, C = c, Ad = a, Bd = b, Cd = c,
        };
    }

    /// <summary>alpha·op(A)·op(B) + beta·C by the definition, in double (beta 0 ignores C, as BLAS does).</summary>
    static (double[] Value, double[] Scale) Reference(Case<double> x, double alpha, double beta)
    {
        var value = (double[])x.Cd.Clone();
        var scale = new double[value.Length];
        for (var j = 0; j < x.N; j++)
        for (var i = 0; i < x.M; i++)
        {
            double sum = 0, abs = 0;
            for (var p = 0; p < x.K; p++)
            {
                var av = x.TransposeA ? x.Ad[i * x.Lda + p] : x.Ad[p * x.Lda + i];
                var bv = x.TransposeB ? x.Bd[p * x.Ldb + j] : x.Bd[j * x.Ldb + p];
                sum += av * bv;
                abs += Math.Abs(av * bv);
            }

            var old = x.Cd[j * x.Ldc + i];
            value[j * x.Ldc + i] = alpha * sum + (beta == 0 ? 0 : beta * old);
            scale[j * x.Ldc + i] = Math.Abs(alpha) * abs + (beta == 0 ? 0 : Math.Abs(beta * old));
        }

        return (value, scale);
    }

    static void Check(Case<double> x, double alpha, double beta, bool wide, int threads)
    {
        var (expected, scale) = Reference(x, alpha, beta);
        var what = $"{x.M}×{x.K}·{x.K}×{x.N} Aᵀ {x.TransposeA} Bᵀ {x.TransposeB} alpha {alpha} beta {beta} wide {wide} threads {threads}";

        var cf = x.Cd.Select(v => (float)v).ToArray();
        SimdGemm.Multiply(x.TransposeA, x.TransposeB, x.M, x.N, x.K, (float)alpha, x.Ad.Select(v => (float)v).ToArray(), x.Lda,
            x.Bd.Select(v => (float)v).ToArray(), x.Ldb, (float)beta, cf, x.Ldc, threads, wide);
        var cd = (double[])x.Cd.Clone();
        SimdGemm.Multiply(x.TransposeA, x.TransposeB, x.M, x.N, x.K, alpha, x.Ad, x.Lda, x.Bd, x.Ldb, beta, cd, x.Ldc, threads, wide);
        for (var e = 0; e < expected.Length; e++)
        {
            if (e % x.Ldc >= x.M)
            {
                // C's padding rows are not part of the product.
                Assert.True(cf[e] == (float)x.Cd[e] && cd[e] == x.Cd[e], $"{what}: padding element {e} changed");
                continue;
            }

            Assert.True(Math.Abs(cf[e] - expected[e]) <= 1e-5 * (scale[e] + 1), $"{what}: float element {e} is {cf[e]}, expected {expected[e]}");
            Assert.True(Math.Abs(cd[e] - expected[e]) <= 1e-12 * (scale[e] + 1), $"{what}: double element {e} is {cd[e]}, expected {expected[e]}");
        }
    }

    public static TheoryData<bool, int> Paths => new() { { true, 1 }, { true, 2 }, { false, 1 }, { false, 2 } };

    [Theory]
    [MemberData(nameof(Paths))]
    public void Every_form_and_awkward_size_agrees_with_a_triple_loop(bool wide, int threads)
    {
        var seed = 0;
        foreach (var m in Sizes)
        foreach (var n in Sizes)
        foreach (var k in Sizes)
        foreach (var form in new[] { (false, false), (false, true), (true, false), (true, true) })
            Check(Make(m, n, k, form.Item1, form.Item2, seed++, 0.5), 0.75, 0.5, wide, threads);
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void Products_of_several_blocks_agree_with_a_triple_loop(bool wide, int threads)
    {
        // Several inner-dimension blocks and row blocks, parts split by columns, by rows, and a transposed C.
        foreach (var (m, n, k) in new[] { (300, 530, 600), (520, 10, 1030), (10, 700, 300), (5, 9, 1000) })
        foreach (var form in new[] { (false, false), (false, true), (true, false), (true, true) })
            Check(Make(m, n, k, form.Item1, form.Item2, m + n + k, 0.25), 1.5, -1.0, wide, threads);
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void Beta_zero_overwrites_garbage_in_C(bool wide, int threads)
    {
        foreach (var (m, n, k) in new[] { (33, 100, 7), (257, 13, 300), (7, 257, 33), (100, 100, 0) })
        foreach (var form in new[] { (false, false), (false, true), (true, false), (true, true) })
        {
            var x = Make(m, n, k, form.Item1, form.Item2, m * n, double.NaN);
            Check(x, 1.0, 0.0, wide, threads);
            var c = x.Cd.Select(v => (float)v).ToArray();
            SimdGemm.Multiply(x.TransposeA, x.TransposeB, m, n, k, 1f, x.Ad.Select(v => (float)v).ToArray(), x.Lda,
                x.Bd.Select(v => (float)v).ToArray(), x.Ldb, 0f, c, x.Ldc, threads, wide);
            Assert.DoesNotContain(c, float.IsNaN);
        }
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void An_empty_inner_dimension_or_a_zero_alpha_scales_C_by_beta(bool wide, int threads)
    {
        foreach (var (m, n) in new[] { (1, 1), (33, 7), (257, 100) })
        {
            Check(Make(m, n, 0, false, false, m, 0.5), 0.75, 0.5, wide, threads);
            Check(Make(m, n, 33, true, false, m, 0.5), 0.0, 2.0, wide, threads);
        }
    }
}
