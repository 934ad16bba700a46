using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Hybrid.Core;

namespace Hybrid.LinearAlgebra;

// The optimizers' updates: every rule of Optim.fs's Update module, vectorised with the same operations in the same order.
public sealed partial class FastKernels<T>
{
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
        var job = UpdateJob.Current;
        job.Finish(); // one update in flight at a time
        job.Start(UpdateRule.For(optimizer, lr, n), Host(p), Host(g), Host(m), Host(v));
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void FinishUpdates() => UpdateJob.Current.Finish();

    /// <summary>
    /// An update over a parameter in blocks that the calling thread and a worker claim one at a time (Adam's square roots
    /// and divisions make it compute-bound in cache, memory-bound out of it: 0.26 ms on one core for 1024 × 1024 in cache;
    /// SGD is memory-bound throughout).
    /// Claimed rather than split in halves, so that a worker that starts late (a busy machine) only takes what is left, and
    /// so that the caller can do other work before it joins in (<see cref="StartUpdate"/>). One job per calling thread,
    /// made once: no allocation.
    /// </summary>
    sealed class UpdateJob
    {
        [ThreadStatic] static UpdateJob? current;

        public static UpdateJob Current
        {
            [MethodImpl(MethodImplOptions.AggressiveOptimization)]
            get => current ??= new UpdateJob();
        }

        /// <summary>Parameters of fewer elements run on the calling thread alone (a worker costs more than it saves).</summary>
        const int MinShared = 65536;

        /// <summary>Elements per block (whole 512-bit vectors): 64 KiB of each array, in L2 with the other three.</summary>
        const int Block = 16384;

        readonly Action<int> body;
        UpdateRule rule;
        int blocks, next;
        bool running;
        T[] p = [], g = [], m = [], v = [];

        UpdateJob() => body = _ => Claim();

        /// <summary>Starts the update: at once on the calling thread for a small parameter, else on a worker, which the
        /// caller joins in <see cref="Finish"/>.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Start(in UpdateRule rule, T[] p, T[] g, T[] m, T[] v)
        {
            var count = p.Length;
            if (count < MinShared || Workers.PartsFor(count, MinShared / 2) < 2)
            {
                rule.Apply(p, g, m, v, 0, count);
                return;
            }

            (this.rule, this.p, this.g, this.m, this.v) = (rule, p, g, m, v);
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
                rule.Apply(p, g, m, v, start, Math.Min(Block, p.Length - start));
            }
        }
    }

    /// <summary>The smallest positive normal T (float: 2⁻¹²⁶): the optimizers' buffers' magnitudes below it are stored as zero.</summary>
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

    /// <summary>Flush, lane by lane (<paramref name="tiny"/>: SmallestNormal in every lane).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<T> Flush(Vector256<T> x, Vector256<T> tiny) =>
        Vector256.ConditionalSelect(Vector256.LessThan(Vector256.Abs(x), tiny), Vector256<T>.Zero, x);

    /// <summary>Flush, lane by lane, on 512-bit vectors.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector512<T> Flush(Vector512<T> x, Vector512<T> tiny) =>
        Vector512.ConditionalSelect(Vector512.LessThan(Vector512.Abs(x), tiny), Vector512<T>.Zero, x);

    /// <summary>
    /// One step of any of the optimizers (<see cref="OptimizerSpec"/>) with its constants worked out once, applied to any
    /// part of a parameter: elementwise, so updating a piece at a time gives the whole parameter's numbers.
    /// </summary>
    internal readonly struct UpdateRule
    {
        readonly AdamRule adam;
        readonly SgdRule sgd;
        readonly RmsPropRule rmsProp;
        readonly byte kind; // 0 Adam, 1 SGD, 2 RMSProp

        UpdateRule(in AdamRule adam, in SgdRule sgd, in RmsPropRule rmsProp, byte kind) =>
            (this.adam, this.sgd, this.rmsProp, this.kind) = (adam, sgd, rmsProp, kind);

        /// <summary>The rule of <paramref name="optimizer"/>'s step <paramref name="n"/> (1 for the first) at learning rate <paramref name="lr"/>.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static UpdateRule For(OptimizerSpec optimizer, double lr, int n) => optimizer switch
        {
            OptimizerSpec.Adam a => new(new AdamRule(a.Item, lr, n), default, default, 0),
            OptimizerSpec.Sgd s => new(default, new SgdRule(s.Item, lr, n), default, 1),
            OptimizerSpec.RmsProp r => new(default, default, new RmsPropRule(r.Item, lr), 2),
            _ => throw new ArgumentException($"no update rule for the optimizer {optimizer}", nameof(optimizer)),
        };

        /// <summary>Whether the rule reads and writes the first buffer (a momentum or first moment).</summary>
        public bool UsesFirst => kind switch { 1 => sgd.UsesMomentum, 2 => rmsProp.UsesMomentum, _ => true };

        /// <summary>Whether the rule reads and writes the second buffer (a running square).</summary>
        public bool UsesSecond => kind != 1;

        /// <summary>
        /// Apply over the elements [at, at + length) of a parameter's arrays. A buffer the rule does not use may be
        /// shorter than the parameter: it is passed as an empty span.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Apply(T[] p, T[] g, T[] m, T[] v, int at, int length) =>
            Apply(p.AsSpan(at, length), g.AsSpan(at, length), UsesFirst ? m.AsSpan(at, length) : default, UsesSecond ? v.AsSpan(at, length) : default);

        /// <summary>Updates p (and the buffers m, v that the rule uses) from the gradient g, elementwise.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Apply(Span<T> p, Span<T> g, Span<T> m, Span<T> v)
        {
            switch (kind)
            {
                case 0: adam.Apply(p, g, m, v); break;
                case 1: sgd.Apply(p, g, m); break;
                default: rmsProp.Apply(p, g, m, v); break;
            }
        }
    }

    /// <summary>
    /// One step of SGD (with momentum, Nesterov's or not, dampening and L2 weight decay), step for step the scalar rule's
    /// operations (Update.sgd of Optim.fs), so bit-identical, with its momentum flushed as there. Vector256 only: two
    /// multiply-adds an element make it memory-bound, and 512-bit vectors would not move the data faster.
    /// </summary>
    internal readonly struct SgdRule
    {
        readonly T lr, wd, mu, damp;
        readonly bool momentum, nesterov, first;

        /// <summary>The rule of step <paramref name="n"/> (1 for the first: the momentum starts as the gradient).</summary>
        public SgdRule(SgdSettings s, double lr, int n)
        {
            static T C(double x) => T.CreateTruncating(x);
            (this.lr, wd, mu, damp) = (C(lr), C(s.WeightDecay), C(s.Momentum), C(1.0 - s.Dampening));
            (momentum, nesterov, first) = (s.Momentum != 0.0, s.Nesterov, n <= 1);
        }

        public bool UsesMomentum => momentum;

        /// <summary>Updates p (and the momentum m, when there is one) from the gradient g, elementwise.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public unsafe void Apply(Span<T> p, Span<T> g, Span<T> m)
        {
            T lr = this.lr, wd = this.wd, mu = this.mu, damp = this.damp;
            bool momentum = this.momentum, nesterov = this.nesterov, first = this.first;
            var i = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                fixed (T* pp = p, pg = g, pm = m)
                {
                    var tiny = Vector256.Create(SmallestNormal);
                    var w = Vector256<T>.Count;
                    for (; i <= p.Length - w; i += w)
                    {
                        var pv = Vector256.Load(pp + i);
                        var d = Vector256.Load(pg + i) + wd * pv;
                        if (momentum)
                        {
                            var mv = Flush(first ? d : mu * Vector256.Load(pm + i) + damp * d, tiny);
                            mv.Store(pm + i);
                            d = nesterov ? d + mu * mv : mv;
                        }

                        (pv - lr * d).Store(pp + i);
                    }
                }
            }

            for (; i < p.Length; i++)
            {
                var d = g[i] + wd * p[i];
                if (momentum)
                {
                    m[i] = Flush(first ? d : mu * m[i] + damp * d);
                    d = nesterov ? d + mu * m[i] : m[i];
                }

                p[i] -= lr * d;
            }
        }
    }

    /// <summary>
    /// One step of RMSProp (with momentum and L2 weight decay), step for step the scalar rule's operations (Update.rmsProp
    /// of Optim.fs), so bit-identical, with its buffers flushed as there. Vector256 only, as SGD: simpler than Adam's
    /// two widths, and at 8 lanes still several times the scalar loop.
    /// </summary>
    internal readonly struct RmsPropRule
    {
        readonly T lr, wd, alpha, rest, eps, mu;
        readonly bool momentum;

        public RmsPropRule(RmsPropSettings s, double lr)
        {
            static T C(double x) => T.CreateTruncating(x);
            (this.lr, wd, alpha, eps, mu) = (C(lr), C(s.WeightDecay), C(s.Alpha), C(s.Eps), C(s.Momentum));
            rest = T.One - alpha;
            momentum = s.Momentum > 0.0;
        }

        public bool UsesMomentum => momentum;

        /// <summary>Updates p, the running square v (and the momentum m, when there is one) from the gradient g.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public unsafe void Apply(Span<T> p, Span<T> g, Span<T> m, Span<T> v)
        {
            T lr = this.lr, wd = this.wd, alpha = this.alpha, rest = this.rest, mu = this.mu;
            var momentum = this.momentum;
            var i = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                fixed (T* pp = p, pg = g, pm = m, pv2 = v)
                {
                    var tiny = Vector256.Create(SmallestNormal);
                    var vEps = Vector256.Create(eps);
                    var w = Vector256<T>.Count;
                    for (; i <= p.Length - w; i += w)
                    {
                        var pv = Vector256.Load(pp + i);
                        var d = Vector256.Load(pg + i) + wd * pv;
                        var vv = Flush(alpha * Vector256.Load(pv2 + i) + rest * d * d, tiny);
                        vv.Store(pv2 + i);
                        var scaled = d / (Vector256.Sqrt(vv) + vEps);
                        if (momentum)
                        {
                            var mv = Flush(scaled + mu * Vector256.Load(pm + i), tiny);
                            mv.Store(pm + i);
                            scaled = mv;
                        }

                        (pv - lr * scaled).Store(pp + i);
                    }
                }
            }

            for (; i < p.Length; i++)
            {
                var d = g[i] + wd * p[i];
                v[i] = Flush(alpha * v[i] + rest * d * d);
                var scaled = d / (T.Sqrt(v[i]) + eps);
                if (momentum)
                {
                    m[i] = Flush(scaled + mu * m[i]);
                    scaled = m[i];
                }

                p[i] -= lr * scaled;
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
                            mv = Flush(mv, tiny);
                            vv = Flush(vv, tiny);
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
                            mv = Flush(mv, tiny);
                            vv = Flush(vv, tiny);
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
