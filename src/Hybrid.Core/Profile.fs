namespace Hybrid.Core

open System
open System.Diagnostics
open System.Runtime.InteropServices

/// The phases of a fused training step that Profile times.
type ProfilePhase =
    /// The batch's copy into the workspace (the caller's fill) and the sparse index of its nonzeros.
    | Gather = 0
    /// The first layer's sparse forward product (bias included).
    | SparseForward = 1
    /// Dense forward products (input·Wᵀ).
    | Product = 2
    /// The bias added to a dense layer's output.
    | Bias = 3
    /// Activation forward.
    | Activation = 4
    /// The loss and its gradient.
    | Loss = 5
    /// Input-gradient products (G·W).
    | InputGradient = 6
    /// Dense weight-gradient products (Gᵀ·input).
    | WeightGradient = 7
    /// The first layer's sparse weight gradient (with its fused optimizer update, when it has one).
    | SparseWeightGradient = 8
    /// Bias gradients (column sums).
    | BiasGradient = 9
    /// Activation backward.
    | ActivationBackward = 10
    /// Optimizer updates.
    | Update = 11
    /// The whole step.
    | Step = 12

/// Where a fused step spends its time, phase by phase, when the environment variable HYBRID_PROFILE is set (for
/// `hybrid bench mlp`, which prints the figures after each epoch); when it is not, a phase costs one branch. Each
/// phase adds its wall time, the calling thread's CPU time and the process's CPU time (every thread: the workers'
/// share of a product, and their spinning) on Linux; elsewhere the CPU times read zero.
[<RequireQualifiedAccess>]
module Profile =

    /// True when HYBRID_PROFILE is set (read once).
    let enabled =
        not (String.IsNullOrEmpty(Environment.GetEnvironmentVariable "HYBRID_PROFILE"))

    [<Struct; StructLayout(LayoutKind.Sequential)>]
    type private Timespec =
        val mutable Seconds: int64
        val mutable Nanoseconds: int64

    [<DllImport("libc", EntryPoint = "clock_gettime")>]
    extern int private clockGettime(int clock, Timespec& spec)

    let private linux = OperatingSystem.IsLinux()

    // Nanoseconds of CPU time on a Linux clock (2: the process's, 3: the calling thread's).
    let private cpu clock =
        if linux then
            let mutable spec = Timespec()
            clockGettime (clock, &spec) |> ignore
            spec.Seconds * 1_000_000_000L + spec.Nanoseconds
        else
            0L

    let private count = 13
    let private wall = Array.zeroCreate<int64> count
    let private thread = Array.zeroCreate<int64> count
    let private processCpu = Array.zeroCreate<int64> count
    let private calls = Array.zeroCreate<int64> count

    /// A phase's start: wall ticks, thread and process CPU nanoseconds.
    [<Struct>]
    type Mark =
        {
            Wall: int64
            Thread: int64
            Process: int64
        }

    /// The start of a phase (nothing read when profiling is off).
    [<OptimizedFromFirstCall>]
    let start () =
        if enabled then
            {
                Wall = Stopwatch.GetTimestamp()
                Thread = cpu 3
                Process = cpu 2
            }
        else
            Unchecked.defaultof<Mark>

    // While set, phases are not counted (an evaluation's forward passes are not training steps).
    let mutable private paused = false

    /// Stops (true) or resumes (false) counting phases.
    let pause value = paused <- value

    /// Adds the time since mark to phase.
    [<OptimizedFromFirstCall>]
    let stop (phase: ProfilePhase) (mark: Mark) =
        if enabled && not paused then
            let i = int phase
            wall[i] <- wall[i] + Stopwatch.GetTimestamp() - mark.Wall
            thread[i] <- thread[i] + cpu 3 - mark.Thread
            processCpu[i] <- processCpu[i] + cpu 2 - mark.Process
            calls[i] <- calls[i] + 1L

    /// The figures since the last report, per step (ms: wall, this thread's CPU, the process's CPU), one line a phase,
    /// and starts counting again. Empty when profiling is off or no step ran.
    let report () =
        let steps = calls[int ProfilePhase.Step]

        if not enabled || steps = 0L then
            ""
        else
            let per (x: int64) scale = float x / scale / float steps
            let ticks = float Stopwatch.Frequency / 1000.0
            let lines = Text.StringBuilder()

            lines.Append($"profile: {steps} steps; ms per step: wall, thread cpu, process cpu; calls per step")
            |> ignore

            let mutable outside = struct (0.0, 0.0, 0.0)

            for i in 0 .. count - 1 do
                if calls[i] > 0L then
                    let phase = enum<ProfilePhase> i
                    let w, t, p = per wall[i] ticks, per thread[i] 1e6, per processCpu[i] 1e6

                    lines.Append(
                        String.Format(
                            Globalization.CultureInfo.InvariantCulture,
                            "\n  {0,-21}{1,8:F3}{2,8:F3}{3,8:F3}{4,6:F1}",
                            phase,
                            w,
                            t,
                            p,
                            float calls[i] / float steps
                        )
                    )
                    |> ignore

                    match phase with
                    | ProfilePhase.Product
                    | ProfilePhase.InputGradient
                    | ProfilePhase.WeightGradient
                    | ProfilePhase.SparseForward
                    | ProfilePhase.SparseWeightGradient
                    | ProfilePhase.Step -> ()
                    | _ ->
                        let struct (a, b, c) = outside
                        outside <- struct (a + w, b + t, c + p)

            let struct (a, b, c) = outside

            lines.Append(
                String.Format(
                    Globalization.CultureInfo.InvariantCulture,
                    "\n  {0,-21}{1,8:F3}{2,8:F3}{3,8:F3}",
                    "(outside products)",
                    a,
                    b,
                    c
                )
            )
            |> ignore

            for a in [ wall; thread; processCpu; calls ] do
                Array.Clear a

            lines.ToString()
