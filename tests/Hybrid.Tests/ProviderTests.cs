using FsCheck;
using FsCheck.Fluent;
using Hybrid.LinearAlgebra;
using MathNet.Numerics.LinearAlgebra;
using MathNet.Numerics.Providers.LinearAlgebra;
using System.Runtime.InteropServices;

namespace Hybrid.Tests;

/// <summary>Every provider agrees with MathNet's managed provider, the reference.</summary>
public class ProviderTests
{
    static readonly int[] Awkward = [1, 7, 33, 257, 1000];

    /// <summary>A product's shape and operands: sizes from the awkward list or 1–64, either operand transposed.</summary>
    public sealed record Product(int M, int N, int K, bool TransposeA, bool TransposeB, int Seed)
    {
        public override string ToString() => $"{M}×{K} · {K}×{N} (Aᵀ {TransposeA}, Bᵀ {TransposeB}, seed {Seed})";
    }

    static readonly Arbitrary<Product> Products = Gen.OneOf(Gen.Elements(Awkward), Gen.Choose(1, 64))
        .Three()
        .Where(d => (long)d.Item1 * d.Item2 * d.Item3 <= 20_000_000)
        .SelectMany(d => Gen.Choose(0, 3), (d, flags) => (d, flags))
        .SelectMany(x => Gen.Choose(0, 100_000), (x, seed) => new Product(x.d.Item1, x.d.Item2, x.d.Item3, (x.flags & 1) != 0, (x.flags & 2) != 0, seed))
        .ToArbitrary();

    static Matrix<T> Random<T>(int rows, int cols, int seed) where T : struct, IEquatable<T>, IFormattable
    {
        var rng = new Random(seed);
        return Matrix<T>.Build.Dense(rows, cols, (_, _) => (T)Convert.ChangeType(rng.NextDouble() * 2 - 1, typeof(T)));
    }

    /// <summary>C = alpha·op(A)·op(B) + beta·C by the given provider, with C starting at ones.</summary>
    static T[] Gemm<T>(ILinearAlgebraProvider<T> provider, Product p, Matrix<T> a, Matrix<T> b, T alpha, T beta)
        where T : struct, IEquatable<T>, IFormattable
    {
        var c = Matrix<T>.Build.Dense(p.M, p.N, (T)Convert.ChangeType(1.0, typeof(T)));
        var result = c.AsColumnMajorArray();
        provider.MatrixMultiplyWithUpdate(p.TransposeA ? Transpose.Transpose : Transpose.DontTranspose,
            p.TransposeB ? Transpose.Transpose : Transpose.DontTranspose, alpha, a.AsColumnMajorArray(), a.RowCount, a.ColumnCount,
            b.AsColumnMajorArray(), b.RowCount, b.ColumnCount, beta, result);
        return result;
    }

    /// <summary>Relative agreement: each element within tolerance × (|alpha|·Σ|a||b| + |beta|), the scale of its sum.</summary>
    static bool Agrees(ForwardingLinearAlgebraProvider provider, Product p, double tolerance)
    {
        var a = Random<float>(p.TransposeA ? p.K : p.M, p.TransposeA ? p.M : p.K, p.Seed);
        var b = Random<float>(p.TransposeB ? p.N : p.K, p.TransposeB ? p.K : p.N, p.Seed + 1);
        var expected = Gemm(ManagedLinearAlgebraProvider.Instance, p, a, b, 0.75f, 0.5f);
        var actual = Gemm(provider, p, a, b, 0.75f, 0.5f);
        var scale = Gemm(ManagedLinearAlgebraProvider.Instance, p, a.PointwiseAbs(), b.PointwiseAbs(), 0.75f, 0f);
        for (var i = 0; i < expected.Length; i++)
            if (Math.Abs(actual[i] - expected[i]) > tolerance * (scale[i] + 0.5))
                return false;
        return true;
    }

    static void Check(ForwardingLinearAlgebraProvider provider) =>
        Prop.ForAll(Products, p => Agrees(provider, p, 1e-5)).QuickCheckThrowOnFailure();

    [Fact]
    public void The_Simd_provider_agrees_with_Managed_on_random_products()
    {
        Assert.True(Providers.IsAvailable(ProviderKind.Simd));
        Check(new SimdProvider { Threads = 2 });
    }

    [Fact]
    public void The_OpenBlas_provider_agrees_with_Managed_on_random_products()
    {
        var openBlas = new OpenBlasProvider();
        Assert.True(openBlas.IsAvailable(), $"OpenBLAS is not installed: {OpenBlasProvider.InstallHint}");
        Check(openBlas);
    }

    [Fact]
    public void The_Simd_provider_multiplies_in_double_precision_too()
    {
        var p = new Product(33, 257, 7, true, false, 5);
        var a = Random<double>(7, 33, 1);
        var b = Random<double>(7, 257, 2);
        var expected = Gemm(ManagedLinearAlgebraProvider.Instance, p, a, b, 1.0, 0.0);
        var actual = Gemm(new SimdProvider(), p, a, b, 1.0, 0.0);
        for (var i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 1e-12);
    }

    [Fact]
    public void Elementwise_operations_agree_with_Managed()
    {
        var simd = new SimdProvider();
        var x = Random<float>(1, 1001, 3).AsColumnMajorArray();
        var y = Random<float>(1, 1001, 4).AsColumnMajorArray();
        float[] Run(Action<ILinearAlgebraProvider<float>, float[]> op, ILinearAlgebraProvider<float> p)
        {
            var r = new float[x.Length];
            op(p, r);
            return r;
        }

        foreach (var op in new Action<ILinearAlgebraProvider<float>, float[]>[]
                 {
                     (p, r) => p.AddVectorToScaledVector(y, 0.3f, x, r), (p, r) => p.ScaleArray(-2f, x, r), (p, r) => p.AddArrays(x, y, r),
                     (p, r) => p.SubtractArrays(x, y, r), (p, r) => p.PointWiseMultiplyArrays(x, y, r),
                 })
            Assert.Equal(Run(op, ManagedLinearAlgebraProvider.Instance), Run(op, simd));
        Assert.Equal(ManagedLinearAlgebraProvider.Instance.DotProduct(x, y), simd.DotProduct(x, y), 3);
    }

    [Fact]
    public void Describe_names_the_active_provider()
    {
        Providers.UseSimd();
        Assert.StartsWith("simd", Providers.Describe());
        Providers.UseManaged();
        Assert.StartsWith("managed", Providers.Describe());
        Providers.UseBest();
        Assert.StartsWith(Providers.IsAvailable(ProviderKind.OpenBlas) ? "openblas" : "simd", Providers.Describe());
    }

    [Fact]
    public void Best_trains_on_the_Vector512_products_where_the_processor_has_AVX512_and_OpenBlas_by_name_does_not()
    {
        // Unless OpenBLAS drives the processor with AVX-512 kernels of its own.
        var openBlas = new OpenBlasProvider();
        // Then only the large narrow products (FastKernels.IsNarrow) go to the Vector512 kernels.
        var avx512 = System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated && openBlas.IsAvailable();
        var ownKernels = new[] { "SkylakeX", "Cooperlake", "SapphireRapids" }.Any(core => openBlas.Configuration.Contains(core, StringComparison.OrdinalIgnoreCase));
        // On an AMD processor, the products of 2^27 multiply-adds and more as well.
        var amd = System.Runtime.Intrinsics.X86.X86Base.IsSupported && IsAmd();
        var (wide, narrow, large) = (avx512 && !ownKernels, avx512 && ownKernels && !amd, avx512 && ownKernels && amd);
        Providers.UseBest();
        Assert.Equal(wide, Providers.Describe().Contains("dense products on simd (Vector512"));
        Assert.Equal(narrow, Providers.Describe().Contains("products with a side of at most 16 on simd (Vector512"));
        Assert.Equal(large, Providers.Describe().Contains("products with a side of at most 16 or of 2^27 multiply-adds and more on simd (Vector512"));
        Assert.Equal(wide, Providers.Kernels<float>().Name == "openblas, products on simd512");
        Assert.Equal(narrow, Providers.Kernels<float>().Name == "openblas, narrow products on simd512");
        Assert.Equal(large, Providers.Kernels<float>().Name == "openblas, narrow and large products on simd512");
        Providers.UseOpenBlas();
        Assert.DoesNotContain("Vector512", Providers.Describe());
        Assert.Equal("openblas", Providers.Kernels<float>().Name);
        Providers.UseBest();
    }

    // The vendor the way /proc/cpuinfo gives it (Linux), not the CPUID instruction Providers reads.
    static bool IsAmd() => File.ReadLines("/proc/cpuinfo").First(l => l.StartsWith("vendor_id")).Contains("AuthenticAMD");

    /// <summary>Managed products that record the shape of each one it is asked for.</summary>
    sealed class RecordingProvider : ForwardingLinearAlgebraProvider
    {
        public readonly List<(int M, int N, int K)> Shapes = [];
        public override bool IsAvailable() => true;
        public override void InitializeVerify() { }

        public override void MatrixMultiplyWithUpdate(Transpose transposeA, Transpose transposeB, float alpha, float[] a, int rowsA, int columnsA,
            float[] b, int rowsB, int columnsB, float beta, float[] c)
        {
            var transA = transposeA != Transpose.DontTranspose;
            Shapes.Add((transA ? columnsA : rowsA, transposeB != Transpose.DontTranspose ? rowsB : columnsB, transA ? rowsA : columnsA));
            base.MatrixMultiplyWithUpdate(transposeA, transposeB, alpha, a, rowsA, columnsA, b, rowsB, columnsB, beta, c);
        }
    }

    /// <summary>One product through <paramref name="kernels"/>, whichever provider they route it to, checked against the managed one.</summary>
    static void RoutedGemm(FastKernels<float> kernels, bool transA, bool transB, int m, int n, int k)
    {
        var a = new Core.HostBuffer<float>(RandomArray(m * k, 1));
        var b = new Core.HostBuffer<float>(RandomArray(k * n, 2));
        var c = new Core.HostBuffer<float>(new float[m * n]);
        kernels.Gemm(transA, transB, m, n, k, 1f, a, b, 0f, c);
        var expected = new Core.HostBuffer<float>(new float[m * n]);
        new FastKernels<float>(new RecordingProvider(), "reference").Gemm(transA, transB, m, n, k, 1f, a, b, 0f, expected);
        Assert.Equal(expected.Data, c.Data);
    }

    [Fact]
    public void Kernels_with_a_narrow_provider_send_it_the_large_products_with_a_side_of_at_most_16_and_nothing_else()
    {
        var (wide, narrow) = (new RecordingProvider(), new RecordingProvider());
        var kernels = new FastKernels<float>(wide, "test", narrow);
        void Gemm(bool transA, bool transB, int m, int n, int k) => RoutedGemm(kernels, transA, transB, m, n, k);

        var threads = Providers.Threads;
        try
        {
            Providers.Threads = 2;
            Gemm(false, true, 512, 10, 2048); // a ten-class layer's forward product at batch 512
            Gemm(false, false, 512, 2048, 10); // its input gradient
            Gemm(true, false, 10, 2048, 512); // its weight gradient
            Gemm(false, true, 64, 10, 128); // too small: 81,920 multiply-adds
            Gemm(false, true, 256, 256, 256); // no narrow side
            Providers.Threads = 1;
            Gemm(true, false, 10, 2048, 512); // a ten-row weight gradient on one thread stays
            Gemm(false, true, 512, 10, 2048);
        }
        finally
        {
            Providers.Threads = threads;
        }

        Assert.Equal([(512, 10, 2048), (512, 2048, 10), (10, 2048, 512), (512, 10, 2048)], narrow.Shapes);
        Assert.Equal([(64, 10, 128), (256, 256, 256), (10, 2048, 512)], wide.Shapes);
    }

    [Fact]
    public void Kernels_with_a_large_threshold_also_send_the_narrow_provider_the_products_of_that_many_multiply_adds()
    {
        var (wide, narrow) = (new RecordingProvider(), new RecordingProvider());
        var kernels = new FastKernels<float>(wide, "test", narrow, large: 1 << 15);
        void Gemm(bool transA, bool transB, int m, int n, int k) => RoutedGemm(kernels, transA, transB, m, n, k);

        var threads = Providers.Threads;
        try
        {
            Providers.Threads = 2;
            Gemm(false, true, 32, 32, 32); // 2^15 multiply-adds: at the threshold
            Gemm(true, false, 64, 32, 16); // above it, transposed
            Gemm(false, false, 31, 32, 32); // one row short of it
            Gemm(false, true, 512, 10, 2048); // narrow, as without a threshold
        }
        finally
        {
            Providers.Threads = threads;
        }

        Assert.Equal([(32, 32, 32), (64, 32, 16), (512, 10, 2048)], narrow.Shapes);
        Assert.Equal([(31, 32, 32)], wide.Shapes);
    }

    static float[] RandomArray(int length, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, length).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
    }

    [Fact]
    public void A_missing_OpenBLAS_is_refused_naming_the_package_to_install()
    {
        var missing = new OpenBlasProvider(["/nonexistent/libopenblas.so.0"]);
        Assert.False(missing.IsAvailable());
        var e = Assert.Throws<DllNotFoundException>(missing.InitializeVerify);
        Assert.Contains("/nonexistent/libopenblas.so.0", e.Message);
        Assert.Contains("apt-get install -y libopenblas0-pthread", e.Message);
        // Used without InitializeVerify, it says the same instead of calling through a null function pointer.
        var product = Assert.Throws<DllNotFoundException>(() =>
            missing.MatrixMultiplyWithUpdate(
                MathNet.Numerics.Providers.LinearAlgebra.Transpose.DontTranspose, MathNet.Numerics.Providers.LinearAlgebra.Transpose.DontTranspose,
                1f, new float[4], 2, 2, new float[4], 2, 2, 0f, new float[4]));
        Assert.Contains("apt-get install -y libopenblas0-pthread", product.Message);
    }

    [Fact]
    public void A_new_OpenBlas_provider_loads_the_library_on_first_use()
    {
        var fresh = new OpenBlasProvider();
        var c = new float[4];
        fresh.MatrixMultiplyWithUpdate(
            MathNet.Numerics.Providers.LinearAlgebra.Transpose.DontTranspose, MathNet.Numerics.Providers.LinearAlgebra.Transpose.DontTranspose,
            1f, [1, 2, 3, 4], 2, 2, [1, 0, 0, 1], 2, 2, 0f, c);

        Assert.Equal([1f, 2f, 3f, 4f], c);
    }

    [DllImport("libc.so.6", EntryPoint = "getenv")]
    static extern IntPtr NativeGetEnv([MarshalAs(UnmanagedType.LPUTF8Str)] string name);

    [Fact]
    public void Loading_OpenBlas_lets_its_idle_threads_sleep_unless_the_process_was_started_with_their_timeout()
    {
        Assert.True(OperatingSystem.IsLinux(), "this check reads the environment with glibc's getenv");
        // The runtime's copy of the environment, taken as the process started: what a user set on the command line.
        var started = Environment.GetEnvironmentVariable("OPENBLAS_THREAD_TIMEOUT");
        var openBlas = new OpenBlasProvider();
        Assert.True(openBlas.IsAvailable(), $"OpenBLAS is not installed: {OpenBlasProvider.InstallHint}");

        // Where OpenBLAS reads it: the process's own environment, not the runtime's copy.
        Assert.Equal(started ?? "4", Marshal.PtrToStringUTF8(NativeGetEnv("OPENBLAS_THREAD_TIMEOUT")));
    }

    [Fact]
    public void An_unknown_provider_name_is_refused_with_the_choices()
    {
        var e = Assert.Throws<ArgumentException>(() => Providers.Parse("cuda"));
        Assert.Contains("managed, simd, openblas or best", e.Message);
    }
}
