(**
---
title: Providers and speed
category: Guides
categoryindex: 3
index: 1
---
*)
(*** hide ***)
#load "../tests/Hybrid.Examples/References.fsx"
(**
# Matrix providers and speed

Almost all of a network's training time is spent in matrix products. Hybrid runs them, and the rest of the training
step (bias, activations, softmax, the optimizer's update), through a **provider**:

| provider | what it is | needs |
|---|---|---|
| `Managed` | Math.NET Numerics' own managed code: the reference the others are tested against | nothing |
| `Simd` | Hybrid's cache-blocked, vectorised matrix product (AVX-512 where the processor has it, else AVX2/FMA) and kernels, in pure .NET | nothing |
| `OpenBlas` | Debian's OpenBLAS through P/Invoke | `apt-get install -y libopenblas0-pthread` |
| `Best` (default) | OpenBLAS when it loads, else Simd (saying so once); on AVX-512, the training step's products on Simd (only the large narrow ones where OpenBLAS has AVX-512 kernels) | |

Every provider runs the whole core test suite, and property tests check each against Managed on awkward shapes.

On `Simd` and `OpenBlas` the first dense layer also exploits zero inputs. Most pixels of an MNIST digit are blank
(about 81%), and a product with a zero contributes nothing: when at most 35% of a batch's inputs are nonzero, the
first layer's forward product and its weight gradient visit only the weight columns of the nonzero inputs, about a
fifth of the work of the dense products, with the same result up to rounding. `HYBRID_SPARSE=0` turns it off.

`Evaluate` and `Predict` run their whole batches (64 samples and more; Evaluate's are 1000 unless you say, Predict's
1000) through the training step's forward pass on these kernels, dropout off, sparse first layer included, into
buffers kept for the next call; a last, smaller batch, a model with a layer of your own graph and a batch too large for
a quarter of memory go through the graph, with the same results up to rounding. On a Zen 5's two cores, evaluating
MNIST's 60,000 training images took 1.0-1.3 s → 0.07 s for 784-128-10 and 5.2-6.2 s → 0.75 s for 784-1024-1024-10,
predicting them 0.5-1.1 s → 0.15-0.27 s and 2.6-9.7 s → 0.8-1.4 s; `hybrid train mnist`, which evaluates a validation
set after every epoch and the test set at the end, ran 8.1 → 6.4 s (median of 5 runs by turns; peak memory 1,086 →
662 MiB).

## Hybrid's own products on AVX-512

Where the processor has AVX-512, the Simd provider's matrix product uses 512-bit vectors: a register tile of 32 rows
by 12 columns (24 of the 32 vector registers hold the tile's sums), operands packed in blocks sized for the caches,
and a C of ten rows (a ten-class layer's weight gradient) computed as its transpose so that the tile is not mostly
padding. `SimdProvider.VectorBits = 256` keeps the 256-bit path, the one every processor without AVX-512 runs.

An OpenBLAS that runs its AVX2 kernels on such a processor (Debian's 0.3.21 with `OPENBLAS_CORETYPE=Haswell`, or
one that does not know the processor) is slower than the 512-bit product at every shape the training step
multiplies. So `Best` with OpenBLAS loaded still sends the fused trainer's float32 dense products (forward, input
gradient, weight gradient) to the Simd provider when the processor has AVX-512 and OpenBLAS's configuration names no
AVX-512 core of its own (SkylakeX, Cooperlake, SapphireRapids); everything MathNet computes stays on OpenBLAS, as does
float64. An OpenBLAS with AVX-512 kernels of its own keeps those products, but for the large narrow ones: a product
with a side of at most 16 and at least 2²¹ multiply-adds (a ten-class layer's at batch 256 and more), which OpenBLAS
0.3.21 ran at 37-55 GFLOP/s on an Ice Lake Xeon's two cores and the 512-bit product at 52-144. On an AMD processor
(Zen 4 runs each 512-bit operation as two 256-bit halves) the products of 2²⁷ multiply-adds and more go to the 512-bit
product as well: a 784-1024-1024-10 network's step at batch 256 took 15.5 → 13.9 ms on a Zen 4's two cores, while
784-512-256-10 at batch 128, whose products are 16 times smaller, was slower with all of them moved. Choosing `OpenBlas` by name
means OpenBLAS for every product. `hybrid providers` says which products run where, and `hybrid bench gemm` times
OpenBLAS, the 256-bit and the 512-bit products against each other at the training step's shapes on this machine.

## Choosing one

Once for the process, from C#:
*)
(*** hide ***)
Hybrid.Examples.Snippet.Html("ChoosingProviders.cs", "use")
(*** include-it-raw ***)
(**
or for one model, on the builder:
*)
(*** hide ***)
Hybrid.Examples.Snippet.Html("ChoosingProviders.cs", "compile")
(*** include-it-raw ***)
(**
From the shell, `HYBRID_PROVIDER=simd` or the CLI's `--provider managed|simd|openblas|best`, with `--threads N`
(OpenBLAS also honours `OPENBLAS_NUM_THREADS`). `hybrid providers` lists what this machine has. Hybrid loads OpenBLAS with
`OPENBLAS_THREAD_TIMEOUT=4` unless the process was started with a value of its own: OpenBLAS's helper threads then sleep
as soon as a product is done, instead of spinning for a tenth of a second on the cores where the trainer's sparse
products and updates run next.

## The three side by side

The same network (784-128-10, Adam, batch 64) trained for one epoch on 20,000 MNIST images with each provider
available on the machine that built this page:
*)
(*** hide ***)
let results = Hybrid.Examples.ChoosingProviders.Compare(20000)

let table =
    [
        for struct (provider, accuracy, seconds) in results ->
            provider,
            System.Math.Round(seconds, 3),
            System.Math.Round(100.0 * accuracy, 2)
    ]
(*** hide ***)
Hybrid.Examples.Course.Table(
    [| "provider"; "seconds"; "accuracy" |],
    [ for provider, seconds, accuracy in table -> [| provider; $"{seconds}"; $"{accuracy} %%" |] ]
)
(*** include-it-raw ***)
(*** hide ***)
Hybrid.Charts.Chart
    .Bars(
        [| for struct (p, _, _) in results -> p |],
        [| for struct (_, _, s) in results -> s |],
        "provider",
        "seconds for the epoch"
    )
    .WithSize(360, 240)
    .ToHtml(
        "provider-times",
        "One epoch of 784-128-10 on 20,000 images, per provider (lower is faster)."
    )
(*** include-it-raw ***)
(**
The accuracies agree to within a few tenths of a point (the providers differ only in rounding, which training
amplifies a little); the times do not. The managed provider is the portable baseline; the SIMD provider is several
times faster with no native dependency; OpenBLAS is the fastest where it is installed.

## Against PyTorch and NumPy

`build/bench.sh` races Hybrid against PyTorch 1.13 and a NumPy MLP on the same machine, the same network recipe and
the same MNIST files, and writes [the full table](benchmarks.html). Its summary, as last written:
*)
(*** hide ***)
/// The Markdown table under the heading of docs/benchmarks.md that starts with `heading` (as build/bench.sh last
/// wrote it), as an HTML table of the named columns (all when none are named); None when the page has no such part.
let benchmarkTable (heading: string) (columns: string list) =
    let lines =
        System.IO.File.ReadAllLines(
            System.IO.Path.Combine(__SOURCE_DIRECTORY__, "benchmarks.md")
        )

    match lines |> Array.tryFindIndex (fun l -> l.StartsWith heading) with
    | None -> None
    | Some start ->
        let rows =
            lines[start + 1 ..]
            |> Array.skipWhile (fun l -> not (l.StartsWith "|"))
            |> Array.takeWhile (fun l -> l.StartsWith "|")
            |> Array.filter (fun l -> not (l.StartsWith "|---"))
            |> Array.map (fun l ->
                l.Trim('|').Split('|')
                |> Array.map (fun c -> System.Net.WebUtility.HtmlEncode(c.Trim())))

        let keep =
            match columns with
            | [] -> [ 0 .. rows[0].Length - 1 ]
            | names -> names |> List.map (fun name -> rows[0] |> Array.findIndex ((=) name))

        let row tag (cells: string[]) =
            "<tr>"
            + (keep |> List.map (fun i -> $"<{tag}>{cells[i]}</{tag}>") |> String.concat "")
            + "</tr>"

        Some(
            "<table>"
            + row "th" rows[0]
            + (rows[1..] |> Array.map (row "td") |> String.concat "")
            + "</table>"
        )

// The columns that fit beside the menu; the full table is on the benchmarks page.
let summary =
    benchmarkTable
        "## Hybrid against the fastest peer"
        [
            "arch"
            "batch"
            "epochs"
            "Hybrid s/epoch"
            "fastest peer"
            "its s/epoch"
            "ratio"
            "largest gap (points)"
        ]
    |> Option.defaultWith (fun () -> failwith "docs/benchmarks.md has no summary table: run build/bench.sh")

summary
(*** include-it-raw ***)
(**
A ratio below 1 means Hybrid's median epoch is faster than the fastest peer's best variant; the last column is the
largest difference between Hybrid's test accuracy and a peer's (means over the race's seeds), in percentage points.
The [BenchmarkDotNet figures](benchmarks-dotnet.html) break the training step down by provider.

## How far from the machine's limit

An epoch has to do a certain number of floating-point operations and move a certain number of bytes. The machine
does at most its GEMM peak of the first and its memory bandwidth of the second per second, so an epoch cannot take
less than the larger of the two quotients. `build/bench.sh` measures both on the machine it races on (for the peak,
the faster of a 2048³ `torch.mm` and Hybrid's own 2048³ product; a NumPy triad for the bandwidth), counts each case's operations (the first layer's at the
fraction of MNIST's pixels that are not zero, the products Hybrid's sparse first layer computes) and bytes (Adam's
state traffic per step and the images read twice), and gives Hybrid's median epoch over that limit: 1.0 would be
the machine's limit itself.
*)
(*** hide ***)
let roofline =
    benchmarkTable "## The machine's limit" []
    |> Option.defaultValue
        "<p>The benchmarks page was written before build/bench.sh measured the limit: run it to fill this table.</p>"

roofline
(*** include-it-raw ***)
