using Hybrid.Core;
using Hybrid.LinearAlgebra;
using MathNet.Numerics.LinearAlgebra;
using Hybrid.Data;

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

    /// <summary>Each activation as a scalar formula in float64, with its derivative: the reference for the vectorised rules.</summary>
    static readonly (ActivationFunction Kind, Func<double, double> F, Func<double, double> Df)[] Scalar =
    [
        (ActivationFunction.ReLU, x => Math.Max(x, 0), x => x > 0 ? 1 : 0),
        (ActivationFunction.Tanh, Math.Tanh, x => 1 - Math.Tanh(x) * Math.Tanh(x)),
        (ActivationFunction.Sigmoid, x => 1 / (1 + Math.Exp(-x)), x => Math.Exp(-x) / ((1 + Math.Exp(-x)) * (1 + Math.Exp(-x)))),
        (ActivationFunction.NewLeakyReLU(0.1), x => x > 0 ? x : 0.1 * x, x => x > 0 ? 1 : 0.1),
        (ActivationFunction.Softplus, x => Math.Log(1 + Math.Exp(x)), x => 1 / (1 + Math.Exp(-x))),
        (ActivationFunction.SiLU, x => x / (1 + Math.Exp(-x)), x => 1 / (1 + Math.Exp(-x)) * (1 + x * (1 - 1 / (1 + Math.Exp(-x))))),
    ];

    [Theory]
    [MemberData(nameof(Providers))]
    public void Elementwise_kernels_compute_each_activation_and_its_derivative(string provider)
    {
        // 1003 elements: whole vectors and a scalar tail.
        const int count = 1003;
        foreach (var kernels in new[] { Managed, Fast(provider) })
        foreach (var (kind, f, df) in Scalar)
        {
            var x = new HostBuffer<float>(RandomArray(count, 1));
            var dy = new HostBuffer<float>(RandomArray(count, 2));
            var y = new HostBuffer<float>(new float[count]);
            var dx = new HostBuffer<float>(new float[count]);
            var rule = ActivationFunctionModule.rule(kind);
            kernels.Activate(rule, count, 1, x, y);
            kernels.ActivateBackward(rule, count, 1, x, y, dy, dx);
            for (var i = 0; i < count; i++)
            {
                Assert.Equal(f(x.Data[i]), y.Data[i], 1e-6);
                Assert.Equal(dy.Data[i] * df(x.Data[i]), dx.Data[i], 1e-6);
            }
        }
    }

    /// <summary>Block shapes for the fused passes: one chunk, several with a short remainder, one row, a softmax-wide block.</summary>
    public static TheoryData<string, int, int> FusedShapes => new()
    {
        { "simd", 256, 64 }, { "openblas", 37, 300 }, { "simd", 1, 9000 }, { "openblas", 128, 513 }, { "simd", 5000, 3 },
    };

    static IEnumerable<ActivationRule> Rules() =>
        Scalar.Select(s => ActivationFunctionModule.rule(s.Kind)).Append(ActivationFunctionModule.rule(ActivationFunction.Softmax));

    [Theory]
    [MemberData(nameof(FusedShapes))]
    public void Bias_and_activation_in_one_pass_equal_the_two_kernels_bit_for_bit(string provider, int m, int n)
    {
        foreach (var kernels in new[] { Managed, Fast(provider) })
        foreach (var rule in Rules())
        foreach (var inPlace in rule.InPlace ? new[] { false, true } : [false])
        {
            var bias = new HostBuffer<float>(RandomArray(n, 5));
            var expectedC = new HostBuffer<float>(RandomArray(m * n, 4));
            var expectedY = new HostBuffer<float>(new float[m * n]);
            kernels.AddRowVector(m, n, bias, expectedC);
            kernels.Activate(rule, m, n, expectedC, expectedY);

            var c = new HostBuffer<float>(RandomArray(m * n, 4));
            var y = inPlace ? c : new HostBuffer<float>(Enumerable.Repeat(float.NaN, m * n).ToArray());
            kernels.AddRowVectorActivate(m, n, bias, c, rule, y);

            Assert.Equal(expectedY.Data, y.Data);
            if (!inPlace) Assert.Equal(expectedC.Data, c.Data);
        }
    }

    [Theory]
    [MemberData(nameof(FusedShapes))]
    public void Activation_gradient_and_bias_gradient_in_one_pass_equal_the_two_kernels_bit_for_bit(string provider, int m, int n)
    {
        foreach (var kernels in new[] { Managed, Fast(provider) })
        foreach (var rule in Rules())
        {
            var x = new HostBuffer<float>(RandomArray(m * n, 1));
            var y = new HostBuffer<float>(new float[m * n]);
            kernels.Activate(rule, m, n, x, y);
            var expectedDx = new HostBuffer<float>(new float[m * n]);
            var expectedSums = new HostBuffer<float>(new float[n]);
            kernels.ActivateBackward(rule, m, n, x, y, new HostBuffer<float>(RandomArray(m * n, 2)), expectedDx);
            kernels.ColumnSums(m, n, expectedDx, expectedSums);

            // In place, a rule that allows it is handed its output for its input and writes over the gradient it is given.
            var inPlace = rule.InPlace;
            var dy = new HostBuffer<float>(RandomArray(m * n, 2));
            var dx = inPlace ? dy : new HostBuffer<float>(Enumerable.Repeat(float.NaN, m * n).ToArray());
            var sums = new HostBuffer<float>(Enumerable.Repeat(float.NaN, n).ToArray());
            kernels.ActivateBackwardColumnSums(rule, m, n, inPlace ? y : x, y, dy, dx, sums);

            Assert.Equal(expectedDx.Data, dx.Data);
            Assert.Equal(expectedSums.Data, sums.Data);
        }
    }

    [Fact]
    public void Rules_that_run_in_place_give_the_same_gradient_from_their_output_as_from_their_input()
    {
        // Signed zeros, NaN and infinities as well as ordinary values: x > 0 exactly where f(x) > 0.
        var x = RandomArray(1003, 8).Concat([0f, -0f, float.NaN, float.PositiveInfinity, float.NegativeInfinity, float.Epsilon, -float.Epsilon]).ToArray();
        var dy = RandomArray(x.Length, 9);
        foreach (var kind in new[] { ActivationFunction.ReLU, ActivationFunction.NewLeakyReLU(0.1), ActivationFunction.NewLeakyReLU(0.0) })
        {
            var rule = ActivationFunctionModule.rule(kind);
            Assert.True(rule.InPlace);
            var y = new float[x.Length];
            rule.Forward<float>(x.Length, 1, x, y);
            var fromInput = new float[x.Length];
            var fromOutput = new float[x.Length];
            rule.Backward<float>(x.Length, 1, x, y, dy, fromInput);
            rule.Backward<float>(x.Length, 1, y, y, dy, fromOutput);
            Assert.Equal(fromInput, fromOutput);
        }

        Assert.False(ActivationFunctionModule.rule(ActivationFunction.NewLeakyReLU(-0.5)).InPlace);
        Assert.False(ActivationFunctionModule.rule(ActivationFunction.Tanh).InPlace);
    }

    /// <summary>Every optimizer and the variants its rule branches on (momentum, Nesterov, dampening, weight decay).</summary>
    static readonly string[] Optimizers =
    [
        "adam", "adamw", "adam-decay", "sgd", "momentum", "nesterov", "sgd-dampened-decay", "rmsprop", "rmsprop-momentum", "rmsprop-momentum-decay",
    ];

    static OptimizerSpec Optimizer(string name) => name switch
    {
        "adam" => OptimizerSpecModule.adam(0.01),
        "adamw" => OptimizerSpecModule.adamW(0.01, 0.1),
        "adam-decay" => OptimizerSpecModule.withWeightDecay(0.05, OptimizerSpecModule.adam(0.003)),
        "sgd" => OptimizerSpecModule.sgd(0.05),
        "momentum" => OptimizerSpecModule.momentum(0.05, 0.9),
        "nesterov" => OptimizerSpecModule.nesterov(0.05, 0.9),
        "sgd-dampened-decay" => OptimizerSpec.NewSgd(new SgdSettings(0.05, 0.8, 0.3, false, 0.01)),
        "rmsprop" => OptimizerSpecModule.rmsProp(0.01),
        "rmsprop-momentum" => OptimizerSpec.NewRmsProp(new RmsPropSettings(0.01, 0.9, 1e-8, 0.5, 0.0)),
        "rmsprop-momentum-decay" => OptimizerSpec.NewRmsProp(new RmsPropSettings(0.01, 0.9, 1e-8, 0.5, 0.02)),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(Providers))]
    public void Vectorised_updates_are_bit_identical_to_the_scalar_rules(string provider)
    {
        // 100,003 elements: split over the worker threads (parts of at least 32,768), with a scalar tail.
        foreach (var length in new[] { 1001, 100_003 })
        foreach (var optimizer in Optimizers.Select(Optimizer))
        {
            float[] Run(IKernels<float> k)
            {
                var p = new HostBuffer<float>(RandomArray(length, 3));
                var m = new HostBuffer<float>(new float[length]);
                var v = new HostBuffer<float>(new float[length]);
                for (var step = 1; step <= 3; step++)
                    k.Update(optimizer, 0.01, step, p, new HostBuffer<float>(RandomArray(length, 10 + step)), m, v);
                return p.Data;
            }

            Assert.Equal(Run(Managed), Run(Fast(provider)));
        }
    }

    [Theory]
    [InlineData("simd", "adam")]
    [InlineData("openblas", "adam")]
    [InlineData("simd", "momentum")]
    [InlineData("simd", "rmsprop-momentum")]
    public void Vectorised_updates_flush_subnormal_buffers_as_the_scalar_rules_do(string provider, string optimizerName)
    {
        // Three elements in four lose their gradient after step 10, as a blank input pixel's do: their buffers decay
        // through the subnormal range (by 0.9 a step a moment reaches it near step 750) and are stored as zero.
        const int length = 1003;
        var adam = Optimizer(optimizerName);
        (float[] P, float[] M, float[] V) Run(IKernels<float> k)
        {
            var p = new HostBuffer<float>(RandomArray(length, 3));
            var m = new HostBuffer<float>(new float[length]);
            var v = new HostBuffer<float>(new float[length]);
            for (var step = 1; step <= 900; step++)
            {
                var g = RandomArray(length, 10 + step);
                for (var i = 0; i < length; i++)
                    if (step > 10 && i % 4 != 0) g[i] = 0;
                k.Update(adam, 0.001, step, p, new HostBuffer<float>(g), m, v);
                Assert.DoesNotContain(m.Data, float.IsSubnormal);
                Assert.DoesNotContain(v.Data, float.IsSubnormal);
            }

            return (p.Data, m.Data, v.Data);
        }

        var expected = Run(Managed);
        var actual = Run(Fast(provider));
        Assert.Equal(expected.P, actual.P);
        Assert.Equal(expected.M, actual.M);
        Assert.Equal(expected.V, actual.V);
        // The buffers of the elements without gradients decayed to zero on the way: the flush was exercised.
        Assert.Equal(0f, expected.M[1]);
        Assert.NotEqual(0f, expected.M[0]);
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public void An_update_started_and_finished_later_equals_the_update_while_other_kernels_run_meanwhile(string provider)
    {
        // Two parameters large enough for a worker, updated one after the other (the second start finishes the first),
        // with an activation's backward pass and a product in between, as the fused step does.
        const int length = 300_007;
        var adam = OptimizerSpecModule.adam(0.01);
        float[][] Run(IKernels<float> k, bool started)
        {
            var ps = new[] { RandomArray(length, 3), RandomArray(length, 4) }.Select(a => new HostBuffer<float>(a)).ToArray();
            var ms = ps.Select(_ => new HostBuffer<float>(new float[length])).ToArray();
            var vs = ps.Select(_ => new HostBuffer<float>(new float[length])).ToArray();
            var x = new HostBuffer<float>(RandomArray(64 * 64, 5));
            var dx = new HostBuffer<float>(new float[64 * 64]);
            var c = new HostBuffer<float>(new float[64 * 64]);
            var relu = ActivationFunctionModule.rule(ActivationFunction.ReLU);
            for (var step = 1; step <= 2; step++)
                for (var i = 0; i < 2; i++)
                {
                    var g = new HostBuffer<float>(RandomArray(length, 10 * step + i));
                    if (started) k.StartUpdate(adam, 0.01, step, ps[i], g, ms[i], vs[i]);
                    else k.Update(adam, 0.01, step, ps[i], g, ms[i], vs[i]);
                    k.ActivateBackward(relu, 64, 64, x, x, x, dx);
                    k.Gemm(false, false, 64, 64, 64, 1f, x, dx, 0f, c);
                }

            k.FinishUpdates();
            return ps.Select(p => p.Data).ToArray();
        }

        var expected = Run(Managed, false);
        Assert.Equal(expected, Run(Fast(provider), true));
        Assert.Equal(expected, Run(Fast(provider), false));
        Assert.Equal(expected, Run(Managed, true));
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

    /// <summary>rows × columns, row-major, with about the given fraction of nonzeros (some rows and columns all zero).</summary>
    static float[] SparseArray(int rows, int columns, double density, int seed)
    {
        var rng = new Random(seed);
        var a = new float[rows * columns];
        for (var i = 0; i < a.Length; i++)
            if (i / columns != 1 && i % columns != 2 && rng.NextDouble() < density)
                a[i] = (float)(rng.NextDouble() * 2 - 0.5);
        return a;
    }

    [Theory]
    [InlineData(1, 7, 5)]
    [InlineData(13, 33, 64)]
    [InlineData(64, 784, 128)]
    [InlineData(37, 100, 67)]
    [InlineData(130, 50, 200)]
    [InlineData(600, 40, 300)] // a gradient too large for one slice of the weight gradient: three slices, the last short
    [InlineData(20, 30, 520)] // a layer wide enough for the forward product to copy its blocks of weights, the last short
    public void Sparse_first_layer_products_equal_the_dense_ones(int rows, int columns, int n)
    {
        var sparse = new FastKernels<float>(new SimdProvider(), "simd");
        var x = new HostBuffer<float>(SparseArray(rows, columns, 0.2, rows + columns));
        var w = new HostBuffer<float>(RandomArray(n * columns, 3));
        var b = new HostBuffer<float>(RandomArray(n, 4));
        var g = new HostBuffer<float>(RandomArray(rows * n, 5));
        var index = sparse.CreateIndex(rows, columns);

        Assert.True(sparse.Index(index, rows, x, 0.35));
        Assert.True(index.IsSparse);

        // Dense reference: out = Xᵀᵀ·Wᵀ + b (X stored row-major is Xᵀ column-major), dW = Gᵀ·X.
        var expectedOut = new HostBuffer<float>(new float[rows * n]);
        Managed.Gemm(true, true, rows, n, columns, 1f, x, w, 0f, expectedOut);
        Managed.AddRowVector(rows, n, b, expectedOut);
        var expectedGrad = new HostBuffer<float>(new float[n * columns]);
        Managed.Gemm(true, true, n, columns, rows, 1f, g, x, 0f, expectedGrad);

        var actualOut = new HostBuffer<float>(Enumerable.Repeat(float.NaN, rows * n).ToArray());
        var actualGrad = new HostBuffer<float>(Enumerable.Repeat(float.NaN, n * columns).ToArray());
        sparse.SparseForward(index, n, w, b, actualOut);
        sparse.SparseWeightGradient(index, n, g, actualGrad);

        for (var i = 0; i < expectedOut.Data.Length; i++) Assert.Equal(expectedOut.Data[i], actualOut.Data[i], 1e-4);
        for (var i = 0; i < expectedGrad.Data.Length; i++) Assert.Equal(expectedGrad.Data[i], actualGrad.Data[i], 1e-4);
    }

    public static IEnumerable<object[]> FusedUpdateCases =>
        from shape in new[] { (64, 784, 128), (600, 40, 300), (37, 100, 67) }
        from name in Optimizers
        select new object[] { shape.Item1, shape.Item2, shape.Item3, name };

    [Theory]
    [MemberData(nameof(FusedUpdateCases))]
    public void The_weight_gradient_with_the_update_fused_in_equals_the_gradient_then_the_update(int rows, int columns, int n, string optimizerName)
    {
        var sparse = new FastKernels<float>(new SimdProvider(), "simd");
        var x = new HostBuffer<float>(SparseArray(rows, columns, 0.2, rows + columns));
        var g = new HostBuffer<float>(RandomArray(rows * n, 5));
        var index = sparse.CreateIndex(rows, columns);
        Assert.True(sparse.Index(index, rows, x, 0.35));
        var adam = Optimizer(optimizerName);
        (float[] W, float[] Dw) Run(bool fused)
        {
            var w = new HostBuffer<float>(RandomArray(n * columns, 3));
            var m = new HostBuffer<float>(RandomArray(n * columns, 6));
            var v = new HostBuffer<float>(RandomArray(n * columns, 7).Select(Math.Abs).ToArray());
            var dw = new HostBuffer<float>(new float[n * columns]);
            var before = w.Data.ToArray();
            // Fused where the batch takes the gradient by rows (under 128 rows); a larger one is refused with nothing
            // done, and the caller makes the two calls.
            var done = fused && sparse.SparseWeightGradientAndUpdate(index, n, g, dw, adam, 0.01, 3, w, m, v);
            Assert.Equal(fused && rows < 128, done);
            if (!done)
            {
                Assert.Equal(before, w.Data);
                Assert.All(dw.Data, d => Assert.Equal(0f, d));
                sparse.SparseWeightGradient(index, n, g, dw);
                sparse.Update(adam, 0.01, 3, w, dw, m, v);
            }

            return (w.Data, dw.Data);
        }

        var (expectedW, expectedDw) = Run(false);
        var (actualW, actualDw) = Run(true);
        Assert.Equal(expectedDw, actualDw);
        Assert.Equal(expectedW, actualW);
    }

    /// <summary>
    /// The sparse weight gradient of a batch, and the same with Adam fused in where the kernels fuse it (FusedIn), else
    /// followed by Adam's update (from fixed weights and moments), with one of the kernels' test overrides set by
    /// <paramref name="choose"/> (both cleared afterwards).
    /// </summary>
    static (float[] Dw, float[] Fused, float[] W, float[] M, bool FusedIn) GradientAndFusedAdam(int rows, int columns, int n, Action choose)
    {
        var sparse = new FastKernels<float>(new SimdProvider(), "simd");
        var x = new HostBuffer<float>(SparseArray(rows, columns, 0.2, rows + columns));
        var g = new HostBuffer<float>(RandomArray(rows * n, 5));
        choose();
        try
        {
            var index = sparse.CreateIndex(rows, columns);
            Assert.True(sparse.Index(index, rows, x, 0.35));
            var dw = new HostBuffer<float>(Enumerable.Repeat(float.NaN, n * columns).ToArray());
            sparse.SparseWeightGradient(index, n, g, dw);
            var w = new HostBuffer<float>(RandomArray(n * columns, 3));
            var m = new HostBuffer<float>(RandomArray(n * columns, 6));
            var v = new HostBuffer<float>(RandomArray(n * columns, 7).Select(Math.Abs).ToArray());
            var fused = new HostBuffer<float>(new float[n * columns]);
            var adam = OptimizerSpecModule.adam(0.01);
            var fusedIn = sparse.SparseWeightGradientAndUpdate(index, n, g, fused, adam, 0.01, 3, w, m, v);
            if (!fusedIn)
            {
                sparse.SparseWeightGradient(index, n, g, fused);
                sparse.Update(adam, 0.01, 3, w, fused, m, v);
            }

            return (dw.Data, fused.Data, w.Data, m.Data, fusedIn);
        }
        finally
        {
            FastKernels<float>.ScatterBelowOverride = null;
            FastKernels<float>.SharedFromOverride = null;
        }
    }

    [Theory]
    [InlineData(32, 784, 128)]
    [InlineData(37, 100, 67)] // a width with a scalar tail (67 = 64 + 3)
    [InlineData(37, 100, 100)] // 100 = 64 + 32 + 4: every loop of the by-column sums (eight vectors, four, scalars)
    [InlineData(5, 40, 4100)] // a block of one column (4,100 gradients are more than a block's 16 KB)
    [InlineData(127, 300, 16)]
    public void The_weight_gradient_by_rows_equals_the_one_by_columns_bit_for_bit(int rows, int columns, int n)
    {
        // Small batches scatter each row's nonzeros into dW; larger ones sum each column of the by-column lists. The
        // same multiply-adds in the same order: the same bits, for the gradient, and for the update fused into the
        // rows' blocks and the one after the columns' sums alike.
        var byColumns = GradientAndFusedAdam(rows, columns, n, () => FastKernels<float>.ScatterBelowOverride = 0);
        var byRows = GradientAndFusedAdam(rows, columns, n, () => FastKernels<float>.ScatterBelowOverride = int.MaxValue);
        Assert.True(byRows.FusedIn);
        Assert.False(byColumns.FusedIn);
        Assert.Equal(byColumns.Dw, byRows.Dw);
        Assert.Equal(byColumns.Fused, byRows.Fused);
        Assert.Equal(byColumns.W, byRows.W);
        Assert.Contains(byRows.Dw, d => d != 0f);
    }

    [Theory]
    [InlineData(200, 300, 512)] // two parts' ranges of columns, each in groups of four from its first column
    [InlineData(203, 301, 1024)] // columns left over from the groups of four
    [InlineData(600, 40, 512)] // four slices of 128 units, every one reading the same shared lists
    public void The_weight_gradient_over_shared_lists_equals_the_one_over_each_columns_list_bit_for_bit(int rows, int columns, int n)
    {
        // A wide layer's weight gradient sums each group of four input columns over one list of the samples any of
        // them has nonzero (zero for the others); the zeros add nothing, so every element is the same as over each
        // column's own list, for the gradient and the update after it alike.
        var own = GradientAndFusedAdam(rows, columns, n, () => FastKernels<float>.SharedFromOverride = int.MaxValue);
        var shared = GradientAndFusedAdam(rows, columns, n, () => FastKernels<float>.SharedFromOverride = 1);
        Assert.Equal(own.Dw, shared.Dw);
        Assert.Equal(own.Fused, shared.Fused);
        Assert.Equal(own.W, shared.W);
        Assert.Equal(own.M, shared.M);
        Assert.Contains(shared.Dw, d => d != 0f);
    }

    [Fact]
    public void A_dense_batch_is_refused_by_the_sparse_index_and_the_products_then_refuse_to_run()
    {
        var sparse = new FastKernels<float>(new SimdProvider(), "simd");
        var index = sparse.CreateIndex(8, 50);
        var dense = new HostBuffer<float>(SparseArray(8, 50, 0.9, 1));

        Assert.False(sparse.Index(index, 8, dense, 0.35));
        Assert.False(index.IsSparse);
        Assert.Throws<InvalidOperationException>(() =>
            sparse.SparseForward(index, 3, new HostBuffer<float>(new float[150]), new HostBuffer<float>(new float[3]), new HostBuffer<float>(new float[24])));
        Assert.False(sparse.Index(index, 9, new HostBuffer<float>(new float[450]), 0.35)); // more rows than the index holds
    }

    public static TheoryData<string, bool> SparseTrainingCases => new()
    {
        { "adam", false }, { "adam", true }, { "momentum", false }, { "adamw", false }, { "nesterov", false }, { "rmsprop", false },
        { "sgd", true },
    };

    [Theory]
    [MemberData(nameof(SparseTrainingCases))]
    public void Training_on_sparse_inputs_matches_the_dense_products_step_for_step(string optimizerName, bool clip)
    {
        // The same model trained on a sparse batch with the sparse first layer (the update fused into the weight
        // gradient where there is no clipping) and with the dense products only.
        var optimizer = Optimizer(optimizerName);
        var clipNorm = clip ? Microsoft.FSharp.Core.FSharpOption<double>.Some(0.5) : null;
        var model = Core.Sequential.create<float>(new Random(1), 40, [LayerSpec.NewDense(16, Initializer.GlorotUniform, Initializer.Zeros), LayerSpec.NewActivation(ActivationFunction.ReLU), LayerSpec.NewDense(3, Initializer.GlorotUniform, Initializer.Zeros)]);
        float[] Train(bool sparseInputs)
        {
            var copy = Core.Sequential.ofParameters<float>(40, model.Specs, Core.Sequential.parameters(model).ToDictionary(p => p.Item1, p => p.Item2.Value.Clone()));
            var trainer = new FusedTrainer<float>(copy, LossFunction.SoftmaxCrossEntropy, optimizer, clipNorm) { SparseInputs = sparseInputs };
            var kernels = new FastKernels<float>(new SimdProvider(), "simd");
            var x = SparseArray(24, 40, 0.2, 7);
            var y = new float[24 * 3];
            for (var r = 0; r < 24; r++) y[(r % 3) * 24 + r] = 1f;
            var outputs = new float[24 * 3];
            for (var step = 0; step < 5; step++)
                trainer.Step(kernels, 24, (xs, ys) => { x.CopyTo(xs); y.CopyTo(ys); }, 0.01, new Random(0), outputs);
            return Core.Sequential.parameters(copy).SelectMany(p => p.Item2.Value.AsColumnMajorArray()).ToArray();
        }

        var withSparse = Train(true);
        var dense = Train(false);
        for (var i = 0; i < dense.Length; i++) Assert.Equal(dense[i], withSparse[i], 1e-4);
    }

    [Theory]
    [InlineData(200, 300, 1024)] // 16-row tiles of four-row groups; weight-gradient slices of 640 and 384 units
    [InlineData(203, 301, 128)] // a last tile of 11 rows (four, four, two, one), columns left over from groups of four
    [InlineData(100, 300, 1040)] // two parts' shares of 17 blocks of weights (8 and 9), the last block 16 units wide
    [InlineData(32, 784, 128)] // a small batch: the weight gradient one input column at a time
    public void The_interleaved_sparse_products_are_each_elements_multiply_adds_in_order(int rows, int columns, int n)
    {
        // Each output element is its nonzeros' fused multiply-adds from zero in increasing order (inputs for the forward
        // product, samples for the weight gradient), then the bias: the sums of one row at a time, whatever rows or
        // columns the kernels interleave. n is a multiple of eight, so no element falls to the scalar tail.
        var sparse = new FastKernels<float>(new SimdProvider(), "simd");
        var xs = SparseArray(rows, columns, 0.2, rows * columns);
        var w = RandomArray(n * columns, 3);
        var b = RandomArray(n, 4);
        var g = RandomArray(rows * n, 5);
        var index = sparse.CreateIndex(rows, columns);
        Assert.True(sparse.Index(index, rows, new HostBuffer<float>(xs), 0.35));
        var output = new HostBuffer<float>(new float[rows * n]);
        var dw = new HostBuffer<float>(new float[n * columns]);
        sparse.SparseForward(index, n, new HostBuffer<float>(w), new HostBuffer<float>(b), output);
        sparse.SparseWeightGradient(index, n, new HostBuffer<float>(g), dw);

        for (var r = 0; r < rows; r++)
        for (var j = 0; j < n; j++)
        {
            var sum = 0f;
            for (var c = 0; c < columns; c++)
                if (xs[r * columns + c] != 0f) sum = MathF.FusedMultiplyAdd(xs[r * columns + c], w[c * n + j], sum);
            Assert.Equal(sum + b[j], output.Data[j * rows + r]);
        }

        for (var c = 0; c < columns; c++)
        for (var j = 0; j < n; j++)
        {
            var sum = 0f;
            for (var r = 0; r < rows; r++)
                if (xs[r * columns + c] != 0f) sum = MathF.FusedMultiplyAdd(xs[r * columns + c], g[j * rows + r], sum);
            Assert.Equal(sum, dw.Data[c * n + j]);
        }
    }

    /// <summary>A data set of sparse samples: sample 1 all zero, sample 5 all nonzero (a batch holding it can be too dense).</summary>
    static Dataset SparseSamples(int count, int width)
    {
        var x = SparseArray(count, width, 0.2, count + width);
        for (var j = 0; j < width; j++) x[5 * width + j] = j + 1f;
        var features = Enumerable.Range(0, count).Select(i => x.AsSpan(i * width, width).ToArray()).ToArray();
        return Dataset.FromArrays(features, Enumerable.Range(0, count).Select(i => i % 3).ToArray(), 3);
    }

    [Fact]
    public void A_batch_gathered_from_the_samples_nonzeros_is_the_index_of_the_filled_batch()
    {
        const int count = 57, width = 40, n = 64;
        var data = SparseSamples(count, width);
        var nonzeros = data.Nonzeros(0.35)!;
        Assert.Equal(count, nonzeros.Count);
        var sparse = new FastKernels<float>(new SimdProvider(), "simd");
        var order = Enumerable.Range(0, count).Reverse().ToArray();
        (order[3], order[40]) = (order[40], order[3]);
        var w = new HostBuffer<float>(RandomArray(n * width, 3));
        var b = new HostBuffer<float>(RandomArray(n, 4));
        // Batches of 16 (the last of 9), one of a single sample, and one from the middle of the order.
        foreach (var (first, rows) in new[] { (0, 16), (16, 16), (32, 16), (48, 9), (20, 1), (7, 30) })
        {
            var x = new float[rows * width];
            var y = new float[rows * 3];
            data.Batch(order, first, rows, x, y);
            var filled = sparse.CreateIndex(16 * 2, width);
            var gathered = sparse.CreateIndex(16 * 2, width);
            var sparseEnough = sparse.Index(filled, rows, new HostBuffer<float>(x), 0.35);
            Assert.Equal(sparseEnough, sparse.Gather(gathered, rows, nonzeros, order, first, 0.35));
            Assert.Equal(sparseEnough, gathered.IsSparse);
            if (!sparseEnough) continue;
            var g = new HostBuffer<float>(RandomArray(rows * n, first));
            float[] Products(SparseIndex index)
            {
                var output = new HostBuffer<float>(new float[rows * n]);
                var dw = new HostBuffer<float>(new float[n * width]);
                sparse.SparseForward(index, n, w, b, output);
                sparse.SparseWeightGradient(index, n, g, dw);
                return output.Data.Concat(dw.Data).ToArray();
            }

            Assert.Equal(Products(filled), Products(gathered));
        }

        // The batch of the dense sample 5 is refused by both (order[51] = 5); an index too small refuses a larger batch.
        var x5 = new float[4 * width];
        data.Batch(order, 50, 4, x5, new float[12]);
        Assert.False(sparse.Index(sparse.CreateIndex(4, width), 4, new HostBuffer<float>(x5), 0.3));
        Assert.False(sparse.Gather(sparse.CreateIndex(4, width), 4, nonzeros, order, 50, 0.3));
        Assert.False(sparse.Gather(sparse.CreateIndex(4, width), 5, nonzeros, order, 0, 0.35));
        Assert.Throws<ArgumentOutOfRangeException>(() => sparse.Gather(sparse.CreateIndex(4, width), 4, nonzeros, order, 55, 0.35));
    }

    [Fact]
    public void A_dense_data_set_has_no_nonzero_lists()
    {
        var dense = Dataset.FromArrays([[1f, 2f, 0f], [3f, 4f, 5f]], [0, 1]);
        Assert.Null(dense.Nonzeros(0.35));
        Assert.NotNull(dense.Nonzeros(0.9));
    }

    [Theory]
    [InlineData(16)]
    [InlineData(1)]
    public void Steps_on_batches_gathered_from_the_nonzeros_equal_steps_on_filled_batches_exactly(int batch)
    {
        // An epoch of batches (the last one short, one holding the dense sample and so taking the dense products) with the
        // index gathered from the data set's nonzeros, against the same batches filled and searched: the same weights.
        const int count = 57, width = 40;
        var data = SparseSamples(count, width);
        var order = Enumerable.Range(0, count).Select(i => (i * 17) % count).ToArray();
        var model = Core.Sequential.create<float>(new Random(1), width, [LayerSpec.NewDense(64, Initializer.GlorotUniform, Initializer.Zeros), LayerSpec.NewActivation(ActivationFunction.ReLU), LayerSpec.NewDense(3, Initializer.GlorotUniform, Initializer.Zeros)]);
        float[] Train(bool gather)
        {
            var copy = Core.Sequential.ofParameters<float>(width, model.Specs, Core.Sequential.parameters(model).ToDictionary(p => p.Item1, p => p.Item2.Value.Clone()));
            var trainer = new FusedTrainer<float>(copy, LossFunction.SoftmaxCrossEntropy, OptimizerSpecModule.adam(0.01), null);
            Assert.True(trainer.IndexesInputs);
            var kernels = new FastKernels<float>(new SimdProvider(), "simd");
            var sparseBatch = gather ? new SparseBatch<float>(data.Nonzeros(0.35)!) : null;
            for (var first = 0; first < count; first += batch)
            {
                var rows = Math.Min(batch, count - first);
                var outputs = new float[rows * 3];
                if (sparseBatch is not null) (sparseBatch.Order, sparseBatch.First) = (order, first);
                var start = first;
                trainer.Step(kernels, rows, (xs, ys) =>
                {
                    // Features only when needed: for a batch of more than 35 % nonzeros, which takes the dense products.
                    var nonzeros = data.Nonzeros(0.35)!;
                    var batchNonzeros = order.AsSpan(start, rows).ToArray().Sum(i => nonzeros.Starts[i + 1] - nonzeros.Starts[i]);
                    Assert.Equal(gather && batchNonzeros <= 0.35 * rows * width, xs.IsEmpty);
                    data.Batch(order, start, rows, xs, ys);
                }, 0.01, new Random(0), outputs, sparseBatch);
            }

            return Core.Sequential.parameters(copy).SelectMany(p => p.Item2.Value.AsColumnMajorArray()).ToArray();
        }

        Assert.Equal(Train(false), Train(true));
    }
}
