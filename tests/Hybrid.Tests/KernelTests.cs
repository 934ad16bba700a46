using Hybrid.Core;
using Hybrid.LinearAlgebra;
using MathNet.Numerics.LinearAlgebra;

namespace Hybrid.Tests;

/// <summary>The vector kernels compute what the managed reference kernels compute.</summary>
public class KernelTests
{
    static IKernels<float> Managed => ManagedKernels<float>.Instance;

    static float[] RandomArray(int n, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 4 - 2)).ToArray();
    }

    public static TheoryData<string> Providers => new() { "simd", "openblas" };

    static IKernels<float> Fast(string name) =>
        name == "simd" ? new FastKernels<float>(new SimdProvider(), name) : new FastKernels<float>(new OpenBlasProvider(), name);

    [Theory]
    [MemberData(nameof(Providers))]
    public void Elementwise_kernels_agree_with_the_managed_ones(string provider)
    {
        var fast = Fast(provider);
        const int count = 1003;
        foreach (var kind in new[] { ActivationKind.ReLU, ActivationKind.Tanh, ActivationKind.Sigmoid, ActivationKind.NewLeakyReLU(0.1), ActivationKind.Softplus })
        {
            var x = new HostBuffer<float>(RandomArray(count, 1));
            var dy = new HostBuffer<float>(RandomArray(count, 2));
            float[] Forward(IKernels<float> k, out float[] dx)
            {
                var y = new HostBuffer<float>(new float[count]);
                var g = new HostBuffer<float>(new float[count]);
                k.Activate(kind, count, x, y);
                k.ActivateBackward(kind, count, x, y, dy, g);
                dx = g.Data;
                return y.Data;
            }

            var expected = Forward(Managed, out var expectedGrad);
            var actual = Forward(fast, out var actualGrad);
            for (var i = 0; i < count; i++)
            {
                Assert.Equal(expected[i], actual[i], 1e-6);
                Assert.Equal(expectedGrad[i], actualGrad[i], 1e-6);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public void Vectorised_Adam_is_bit_identical_to_the_scalar_rule(string provider)
    {
        foreach (var optimizer in new[] { OptimizerModule.adam(0.01), OptimizerModule.adamW(0.01, 0.1), OptimizerModule.withWeightDecay(0.05, OptimizerModule.adam(0.003)) })
        {
            float[] Run(IKernels<float> k)
            {
                var p = new HostBuffer<float>(RandomArray(1001, 3));
                var m = new HostBuffer<float>(new float[1001]);
                var v = new HostBuffer<float>(new float[1001]);
                for (var step = 1; step <= 3; step++)
                    k.Update(optimizer, 0.01, step, p, new HostBuffer<float>(RandomArray(1001, 10 + step)), m, v);
                return p.Data;
            }

            Assert.Equal(Run(Managed), Run(Fast(provider)));
        }
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public void Bias_column_sums_and_the_loss_agree_with_the_managed_kernels(string provider)
    {
        var fast = Fast(provider);
        const int m = 37, n = 10;
        var z = new HostBuffer<float>(RandomArray(m * n, 4));
        var t = Matrix<float>.Build.Dense(m, n, (i, j) => j == i % n ? 1f : 0f).AsColumnMajorArray();
        float[] Run(IKernels<float> k, out double loss, out float[] sums)
        {
            var c = new HostBuffer<float>((float[])z.Data.Clone());
            k.AddRowVector(m, n, new HostBuffer<float>(RandomArray(n, 5)), c);
            var s = new HostBuffer<float>(new float[n]);
            k.ColumnSums(m, n, c, s);
            var g = new HostBuffer<float>(new float[m * n]);
            loss = k.SoftmaxCrossEntropy(m, n, c, new HostBuffer<float>(t), g);
            sums = s.Data;
            return g.Data;
        }

        var expected = Run(Managed, out var expectedLoss, out var expectedSums);
        var actual = Run(fast, out var actualLoss, out var actualSums);
        Assert.Equal(expectedLoss, actualLoss, 1e-6);
        for (var j = 0; j < n; j++) Assert.Equal(expectedSums[j], actualSums[j], 1e-4);
        for (var i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 1e-6);
    }
}
