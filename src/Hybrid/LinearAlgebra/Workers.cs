using System.Runtime.CompilerServices;
namespace Hybrid.LinearAlgebra;

/// <summary>
/// A fork-join over long-lived helper threads that allocates nothing per call (Parallel.For allocates its tasks
/// and closures on every product, which a training step must not). Part 0 runs on the calling thread.
/// One job at a time: a caller that finds the pool busy runs all parts itself. A job may also be started on one helper
/// and joined later (<see cref="TryStart"/>, <see cref="Join"/>), so that the caller does other work meanwhile.
/// </summary>
static class Workers
{
    static readonly object Gate = new();
    static Helper[] helpers = [];
    static Action<int>? job;
    static int pending;
    // A job started by TryStart and not yet joined (its caller holds Gate, which Monitor would let it enter again).
    static volatile bool started;
    static int starter;
    static readonly ManualResetEventSlim Finished = new(false, spinCount: 2000);

    sealed class Helper
    {
        public readonly ManualResetEventSlim Start = new(false, spinCount: 2000);
        public int Part;
    }

    /// <summary>
    /// How many parts to split <paramref name="work"/> units into: one per <see cref="Providers.Threads"/> at most, and
    /// none smaller than <paramref name="minPerPart"/> units (below that a thread costs more than it saves); at least one.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // runs every batch: optimised from its first call, as the kernels of FastKernels.cs
    public static int PartsFor(int work, int minPerPart) => Math.Clamp(work / minPerPart, 1, Math.Max(1, Providers.Threads));

    /// <summary>Runs body(0) … body(parts − 1), in parallel where helpers are free, and returns when all are done.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // runs every batch: optimised from its first call, as the kernels of FastKernels.cs
    public static void Run(int parts, Action<int> body)
    {
        if (parts <= 1 || started || !Monitor.TryEnter(Gate))
        {
            for (var p = 0; p < parts; p++) body(p);
            return;
        }

        try
        {
            Grow(parts - 1);
            job = body;
            Finished.Reset();
            Volatile.Write(ref pending, parts - 1);
            for (var h = 0; h < parts - 1; h++)
            {
                helpers[h].Part = h + 1;
                helpers[h].Start.Set();
            }

            body(0);
            Finished.Wait();
        }
        finally
        {
            job = null;
            Monitor.Exit(Gate);
        }
    }

    /// <summary>
    /// Starts body(1) on a helper and returns at once; the caller must <see cref="Join"/> it, from the same thread.
    /// False, and nothing started, with one thread or when the pool is busy.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // runs every batch: optimised from its first call, as the kernels of FastKernels.cs
    public static bool TryStart(Action<int> body)
    {
        if (Providers.Threads < 2 || started || !Monitor.TryEnter(Gate)) return false;
        Grow(1);
        job = body;
        Finished.Reset();
        Volatile.Write(ref pending, 1);
        starter = Environment.CurrentManagedThreadId;
        started = true;
        helpers[0].Part = 1;
        helpers[0].Start.Set();
        return true;
    }

    /// <summary>Waits for the job of <see cref="TryStart"/> to finish (nothing when none is running).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // runs every batch: optimised from its first call, as the kernels of FastKernels.cs
    public static void Join()
    {
        if (!started || starter != Environment.CurrentManagedThreadId) return;
        try
        {
            Finished.Wait();
        }
        finally
        {
            job = null;
            started = false;
            Monitor.Exit(Gate);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // runs every batch: optimised from its first call, as the kernels of FastKernels.cs
    static void Grow(int count)
    {
        if (helpers.Length >= count) return;
        var grown = new Helper[count];
        Array.Copy(helpers, grown, helpers.Length);
        for (var h = helpers.Length; h < count; h++)
        {
            var helper = grown[h] = new Helper();
            new Thread(() => Loop(helper)) { IsBackground = true, Name = $"Hybrid worker {h + 1}" }.Start();
        }

        helpers = grown;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // runs every batch: optimised from its first call, as the kernels of FastKernels.cs
    static void Loop(Helper helper)
    {
        while (true)
        {
            helper.Start.Wait();
            helper.Start.Reset();
            job!(helper.Part);
            if (Interlocked.Decrement(ref pending) == 0) Finished.Set();
        }
    }
}
