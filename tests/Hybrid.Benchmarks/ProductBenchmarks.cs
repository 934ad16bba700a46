using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using Hybrid.LinearAlgebra;
using MathNet.Numerics.Providers.LinearAlgebra;

namespace Hybrid.Benchmarks;

/// <summary>
/// The five matrix products of one 784-128-10 training step (two forward, three backward), per provider and batch
/// size; and the 64×784×128 forward product through the OpenBLAS provider against cblas_sgemm called directly.
/// </summary>
[MemoryDiagnoser]
public unsafe class ProductBenchmarks
{
    float[] x = [], w1 = [], h = [], w2 = [], z = [], g = [], dh = [], dw1 = [], dw2 = [];
    ILinearAlgebraProvider<float> provider = ManagedLinearAlgebraProvider.Instance;

    /// <summary>The provider under test.</summary>
    [Params(ProviderKind.Managed, ProviderKind.Simd, ProviderKind.OpenBlas)]
    public ProviderKind Provider { get; set; }

    /// <summary>Samples per batch.</summary>
    [Params(64, 128)]
    public int Batch { get; set; }

    static float[] Random(int n, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
    }

    [GlobalSetup]
    public void Setup()
    {
        Providers.Threads = 2;
        Providers.Use(Provider);
        provider = (ILinearAlgebraProvider<float>)MathNet.Numerics.Providers.LinearAlgebra.LinearAlgebraControl.Provider;
        x = Random(Batch * 784, 1);
        w1 = Random(128 * 784, 2);
        h = Random(Batch * 128, 3);
        w2 = Random(10 * 128, 4);
        z = new float[Batch * 10];
        g = Random(Batch * 10, 5);
        dh = new float[Batch * 128];
        dw1 = new float[128 * 784];
        dw2 = new float[10 * 128];
        direct = (delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void>)
            NativeLibrary.GetExport(NativeLibrary.Load("libopenblas.so.0"), "cblas_sgemm");
    }

    const Transpose N = Transpose.DontTranspose, T = Transpose.Transpose;

    /// <summary>H = X·W1ᵀ, Z = H·W2ᵀ, dW2 = Gᵀ·H, dH = G·W2, dW1 = dHᵀ·X.</summary>
    [Benchmark]
    public void MlpStepProducts()
    {
        provider.MatrixMultiplyWithUpdate(N, T, 1f, x, Batch, 784, w1, 128, 784, 0f, h);
        provider.MatrixMultiplyWithUpdate(N, T, 1f, h, Batch, 128, w2, 10, 128, 0f, z);
        provider.MatrixMultiplyWithUpdate(T, N, 1f, g, Batch, 10, h, Batch, 128, 0f, dw2);
        provider.MatrixMultiplyWithUpdate(N, N, 1f, g, Batch, 10, w2, 10, 128, 0f, dh);
        provider.MatrixMultiplyWithUpdate(T, N, 1f, dh, Batch, 128, x, Batch, 784, 0f, dw1);
    }

    /// <summary>The forward product X (batch×784) · W1ᵀ (784×128) through the provider.</summary>
    [Benchmark]
    public void Forward784x128() => provider.MatrixMultiplyWithUpdate(N, T, 1f, x, Batch, 784, w1, 128, 784, 0f, h);

    delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void> direct;

    /// <summary>The same product by cblas_sgemm called directly: the floor the OpenBLAS provider is held to.</summary>
    [Benchmark]
    public void Forward784x128DirectCblas()
    {
        fixed (float* px = x, pw = w1, ph = h)
            direct(102, 111, 112, Batch, 128, 784, 1f, px, Batch, pw, 128, 0f, ph, Batch);
    }
}
