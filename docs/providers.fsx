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
| `Simd` | Hybrid's cache-blocked, vectorised (AVX2/FMA) matrix product and kernels, in pure .NET | nothing |
| `OpenBlas` | Debian's OpenBLAS through P/Invoke | `apt-get install -y libopenblas0-pthread` |
| `Best` (default) | OpenBLAS when it loads, else Simd (saying so once) | |

Every provider runs the whole core test suite, and property tests check each against Managed on awkward shapes.

On `Simd` and `OpenBlas` the first dense layer also exploits zero inputs. Most pixels of an MNIST digit are blank
(about 81%), and a product with a zero contributes nothing: when at most 35% of a batch's inputs are nonzero, the
first layer's forward product and its weight gradient visit only the weight columns of the nonzero inputs, about a
fifth of the work of the dense products, with the same result up to rounding. `HYBRID_SPARSE=0` turns it off.

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
(OpenBLAS also honours `OPENBLAS_NUM_THREADS`). `hybrid providers` lists what this machine has.

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
(*** include-value: table ***)
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
let summary =
    let lines =
        System.IO.File.ReadAllLines(
            System.IO.Path.Combine(__SOURCE_DIRECTORY__, "benchmarks.md")
        )

    let start =
        lines
        |> Array.findIndex (fun l -> l.StartsWith "## Hybrid against the fastest peer")

    let rows =
        lines[start + 1 ..]
        |> Array.skipWhile (fun l -> not (l.StartsWith "|"))
        |> Array.takeWhile (fun l -> l.StartsWith "|")
        |> Array.filter (fun l -> not (l.StartsWith "|---"))
        |> Array.map (fun l ->
            l.Trim('|').Split('|')
            |> Array.map (fun c -> System.Net.WebUtility.HtmlEncode(c.Trim())))

    // The columns that fit beside the menu; the full table is on the benchmarks page.
    let keep =
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
        |> List.map (fun name -> rows[0] |> Array.findIndex ((=) name))

    let rows =
        rows
        |> Array.map (fun cells -> keep |> List.map (fun i -> cells[i]) |> Array.ofList)

    let row tag (cells: string[]) =
        "<tr>"
        + (cells |> Array.map (fun c -> $"<{tag}>{c}</{tag}>") |> String.concat "")
        + "</tr>"

    "<table>"
    + row "th" rows[0]
    + (rows[1..] |> Array.map (row "td") |> String.concat "")
    + "</table>"

summary
(*** include-it-raw ***)
(**
A ratio below 1 means Hybrid's median epoch is faster than the fastest peer's best variant; the last column is the
largest difference between Hybrid's test accuracy and a peer's (means over the race's seeds), in percentage points.
The [BenchmarkDotNet figures](benchmarks-dotnet.html) break the training step down by provider.
*)
