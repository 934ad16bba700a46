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

    /// <summary>Kernels whose matrix products run on <paramref name="products"/>.</summary>
    public FastKernels(ILinearAlgebraProvider<T> products, string name)
    {
        this.products = products;
        Name = name;
    }

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
        products.MatrixMultiplyWithUpdate(transA ? Transpose.Transpose : Transpose.DontTranspose,
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

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Update(OptimizerSpec optimizer, double lr, int n, Core.Buffer<T> p, Core.Buffer<T> g, Core.Buffer<T> m, Core.Buffer<T> v)
    {
        StartUpdate(optimizer, lr, n, p, g, m, v);
        FinishUpdates();
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void StartUpdate(OptimizerSpec optimizer, double lr, int n, Core.Buffer<T> p, Core.Buffer<T> g, Core.Buffer<T> m, Core.Buffer<T> v)
    {
        var job = AdamJob.Current;
        job.Finish(); // one update in flight at a time
        if (optimizer is OptimizerSpec.Adam adam) job.Start(adam.Item, lr, n, Host(p), Host(g), Host(m), Host(v));
        else ((IKernels<T>)ManagedKernels<T>.Instance).Update(optimizer, lr, n, p, g, m, v);
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void FinishUpdates() => AdamJob.Current.Finish();

    /// <summary>
    /// Adam over a parameter in blocks that the calling thread and a worker claim one at a time (its square roots and
    /// divisions make it compute-bound in cache, memory-bound out of it: 0.26 ms on one core for 1024 × 1024 in cache).
    /// Claimed rather than split in halves, so that a worker that starts late (a busy machine) only takes what is left, and
    /// so that the caller can do other work before it joins in (<see cref="StartUpdate"/>). One job per calling thread,
    /// made once: no allocation.
    /// </summary>
    sealed class AdamJob
    {
        [ThreadStatic] static AdamJob? current;

        public static AdamJob Current
        {
            [MethodImpl(MethodImplOptions.AggressiveOptimization)]
            get => current ??= new AdamJob();
        }

        /// <summary>Parameters of fewer elements run on the calling thread alone (a worker costs more than it saves).</summary>
        const int MinShared = 65536;

        /// <summary>Elements per block (whole 512-bit vectors): 64 KiB of each array, in L2 with the other three.</summary>
        const int Block = 16384;

        readonly Action<int> body;
        AdamRule rule;
        int blocks, next;
        bool running;
        T[] p = [], g = [], m = [], v = [];

        AdamJob() => body = _ => Claim();

        /// <summary>Starts the update: at once on the calling thread for a small parameter, else on a worker, which the
        /// caller joins in <see cref="Finish"/>.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Start(AdamSettings s, double lr, int n, T[] p, T[] g, T[] m, T[] v)
        {
            var count = p.Length;
            if (count < MinShared || Workers.PartsFor(count, MinShared / 2) < 2)
            {
                new AdamRule(s, lr, n).Apply(p, g, m, v);
                return;
            }

            (rule, this.p, this.g, this.m, this.v) = (new AdamRule(s, lr, n), p, g, m, v);
            blocks = (count + Block - 1) / Block;
            next = 0;
            running = true;
            if (!Workers.TryStart(body)) Finish(); // no worker free: all of it here
        }

        /// <summary>Claims the blocks left, then waits for the worker's.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Finish()
        {
            if (!running) return;
            try
            {
                Claim();
                Workers.Join();
            }
            finally
            {
                running = false;
                p = g = m = v = [];
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        void Claim()
        {
            int b;
            while ((b = Interlocked.Increment(ref next) - 1) < blocks)
            {
                var start = b * Block;
                var length = Math.Min(Block, p.Length - start);
                rule.Apply(p.AsSpan(start, length), g.AsSpan(start, length), m.AsSpan(start, length), v.AsSpan(start, length));
            }
        }
    }

    /// <summary>
    /// One step of Adam (and AdamW) with its constants worked out once (the bias corrections' powers), applied to any
    /// part of a parameter with Vector256, step for step the scalar rule's operations (see Optim.fs), so bit-identical.
    /// As there, a moment that falls below the smallest normal number is stored as zero. A subnormal operand costs
    /// every vector operation a microcode assist, and the moments of blank input pixels decay into that range.
    /// </summary>
    internal readonly struct AdamRule
    {
        /// <summary>The smallest positive normal T (float: 2⁻¹²⁶): the moments' magnitudes below it are stored as zero.</summary>
        static readonly T SmallestNormal = FindSmallestNormal();

        static T FindSmallestNormal()
        {
            var x = T.Epsilon;
            while (T.IsSubnormal(x)) x += x;
            return x;
        }

        /// <summary>x, or zero where |x| is below the smallest normal number: Update.flush of Optim.fs.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static T Flush(T x) => T.Abs(x) < SmallestNormal ? T.Zero : x;

        readonly T b1, b2, eps, wd, rest1, rest2, stepSize, inverseCorrection2, shrink;
        readonly bool decoupled;

        /// <summary>The rule of step <paramref name="n"/> (1 for the first) at learning rate <paramref name="lr"/>.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public AdamRule(AdamSettings s, double lr, int n)
        {
            static T C(double x) => T.CreateTruncating(x);
            (b1, b2, eps, wd) = (C(s.Beta1), C(s.Beta2), C(s.Eps), C(s.WeightDecay));
            rest1 = T.One - b1;
            rest2 = T.One - b2;
            stepSize = C(lr / (1.0 - Math.Pow(s.Beta1, n)));
            inverseCorrection2 = C(1.0 / Math.Sqrt(1.0 - Math.Pow(s.Beta2, n)));
            shrink = C(1.0 - lr * s.WeightDecay);
            decoupled = s.Decoupled;
        }

        /// <summary>Updates p (and the moments m, v) from the gradient g, elementwise.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Apply(Span<T> p, Span<T> g, Span<T> m, Span<T> v)
        {
            var i = 0;
            var w = Vector256<T>.Count;
            if (Vector512.IsHardwareAccelerated)
            {
                // AVX-512: the Vector256 loop's operations on twice the lanes (its square roots and divisions bound it).
                unsafe
                {
                    fixed (T* pp = p, pg = g, pm = m, pv2 = v)
                    {
                        var vEps = Vector512.Create(eps);
                        var tiny = Vector512.Create(SmallestNormal);
                        var w5 = Vector512<T>.Count;
                        for (; i <= p.Length - w5; i += w5)
                        {
                            var pv = Vector512.Load(pp + i);
                            Vector512<T> d;
                            if (decoupled)
                            {
                                pv *= shrink;
                                d = Vector512.Load(pg + i);
                            }
                            else
                            {
                                d = Vector512.Load(pg + i) + wd * pv;
                            }

                            var mv = b1 * Vector512.Load(pm + i) + rest1 * d;
                            var vv = b2 * Vector512.Load(pv2 + i) + rest2 * d * d;
                            mv = Vector512.ConditionalSelect(Vector512.LessThan(Vector512.Abs(mv), tiny), Vector512<T>.Zero, mv);
                            vv = Vector512.ConditionalSelect(Vector512.LessThan(Vector512.Abs(vv), tiny), Vector512<T>.Zero, vv);
                            var denominator = Vector512.Sqrt(vv) * inverseCorrection2 + vEps;
                            pv -= stepSize * (mv / denominator);
                            mv.Store(pm + i);
                            vv.Store(pv2 + i);
                            pv.Store(pp + i);
                        }
                    }
                }
            }

            if (Vector256.IsHardwareAccelerated)
            {
                unsafe
                {
                    fixed (T* pp = p, pg = g, pm = m, pv2 = v)
                    {
                        var vEps = Vector256.Create(eps);
                        var tiny = Vector256.Create(SmallestNormal);
                        for (; i <= p.Length - w; i += w)
                        {
                            var pv = Vector256.Load(pp + i);
                            Vector256<T> d;
                            if (decoupled)
                            {
                                pv *= shrink;
                                d = Vector256.Load(pg + i);
                            }
                            else
                            {
                                d = Vector256.Load(pg + i) + wd * pv;
                            }

                            var mv = b1 * Vector256.Load(pm + i) + rest1 * d;
                            var vv = b2 * Vector256.Load(pv2 + i) + rest2 * d * d;
                            mv = Vector256.ConditionalSelect(Vector256.LessThan(Vector256.Abs(mv), tiny), Vector256<T>.Zero, mv);
                            vv = Vector256.ConditionalSelect(Vector256.LessThan(Vector256.Abs(vv), tiny), Vector256<T>.Zero, vv);
                            var denominator = Vector256.Sqrt(vv) * inverseCorrection2 + vEps;
                            pv -= stepSize * (mv / denominator);
                            mv.Store(pm + i);
                            vv.Store(pv2 + i);
                            pv.Store(pp + i);
                        }
                    }
                }
            }

            for (; i < p.Length; i++)
            {
                T d;
                if (decoupled)
                {
                    p[i] *= shrink;
                    d = g[i];
                }
                else
                {
                    d = g[i] + wd * p[i];
                }

                m[i] = Flush(b1 * m[i] + rest1 * d);
                v[i] = Flush(b2 * v[i] + rest2 * d * d);
                p[i] -= stepSize * (m[i] / (T.Sqrt(v[i]) * inverseCorrection2 + eps));
            }
        }
    }
}
