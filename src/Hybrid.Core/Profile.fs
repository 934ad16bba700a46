namespace Hybrid.Core

open System
open System.Diagnostics
open System.Runtime.InteropServices
open System.Text

/// Per-phase time of the fused training step (HYBRID_PROFILE=1): wall time and the process's CPU time (all threads)
/// spent in each phase of each layer, summed over steps. Off, a phase costs one test of a static flag.
[<RequireQualifiedAccess>]
module Profile =

    [<Struct; StructLayout(LayoutKind.Sequential)>]
    type private TimeSpec =
        val mutable Seconds: int64
        val mutable Nanoseconds: int64

    [<DllImport("libc", EntryPoint = "clock_gettime")>]
    extern int private clockGetTime(int clock, TimeSpec& time)

    /// True when HYBRID_PROFILE=1: the fused step then times its phases.
    let enabled = Environment.GetEnvironmentVariable "HYBRID_PROFILE" = "1"

    /// The phases a layer's step is cut into (layer i's phase k is slot i * Kinds + k; the batch's own phases use layer 0).
    let kinds =
        [|
            "fill"
            "index"
            "forward"
            "bias"
            "loss"
            "input-grad"
            "weight-grad"
            "column-sums"
            "update"
        |]

    let private slots = 64 * kinds.Length
    let private wall: int64[] = Array.zeroCreate slots
    let private cpu: int64[] = Array.zeroCreate slots
    let private calls: int64[] = Array.zeroCreate slots
    let mutable private steps = 0L

    // CLOCK_PROCESS_CPUTIME_ID (2) on Linux: every thread of the process, the worker threads included.
    let private processCpu () =
        if RuntimeInformation.IsOSPlatform OSPlatform.Linux then
            let mutable t = TimeSpec()
            clockGetTime (2, &t) |> ignore
            t.Seconds * 1_000_000_000L + t.Nanoseconds
        else
            0L

    /// A phase's start: (wall ticks, process CPU nanoseconds); zeros when profiling is off.
    let start () =
        if enabled then
            struct (Stopwatch.GetTimestamp(), processCpu ())
        else
            struct (0L, 0L)

    /// Ends phase kind of layer since its start (does nothing when profiling is off).
    let stop (layer: int) (kind: int) (struct (w0: int64, c0: int64)) =
        if enabled then
            let slot = (min layer 63) * kinds.Length + kind
            wall[slot] <- wall[slot] + (Stopwatch.GetTimestamp() - w0)
            cpu[slot] <- cpu[slot] + (processCpu () - c0)
            calls[slot] <- calls[slot] + 1L

    /// Counts a step.
    let step () =
        if enabled then
            steps <- steps + 1L

    /// The phases timed since the last reset, one line each (layer, phase, calls, wall ms, CPU ms, share of wall), and clears them.
    let report () =
        let text = StringBuilder()
        let totalWall = Array.sum wall

        text.AppendLine($"profile over {steps} steps: layer phase calls wall_ms cpu_ms wall_share")
        |> ignore

        for slot in 0 .. slots - 1 do
            if calls[slot] > 0L then
                let ms (t: int64) =
                    float t * 1000.0 / float Stopwatch.Frequency

                let layer, kind = slot / kinds.Length, slot % kinds.Length

                text.AppendLine(
                    String.Format(
                        Globalization.CultureInfo.InvariantCulture,
                        "  L{0} {1,-12} {2,7} {3,9:F1} {4,9:F1} {5,6:P1}",
                        layer,
                        kinds[kind],
                        calls[slot],
                        ms wall[slot],
                        float cpu[slot] / 1e6,
                        float wall[slot] / float (max 1L totalWall)
                    )
                )
                |> ignore

        text.Append(
            String.Format(
                Globalization.CultureInfo.InvariantCulture,
                "  total wall {0:F1} ms, cpu {1:F1} ms",
                float totalWall * 1000.0 / float Stopwatch.Frequency,
                float (Array.sum cpu) / 1e6
            )
        )
        |> ignore

        Array.Clear wall
        Array.Clear cpu
        Array.Clear calls
        steps <- 0L
        text.ToString()
