(**
---
title: Vectorization
category: The course
categoryindex: 2
index: 14
---
*)
(*** hide ***)
#load "../tests/Hybrid.Examples/References.fsx"
(**
# Vectorization: one matrix product instead of three loops
*)
(*** hide ***)
Hybrid.Examples.Course.Notation
(*** include-it-raw ***)
(**

Every page of this course writes a layer as $Z = X W + \mathbf{1} b$ for a whole batch at once, never as a loop
over samples and units. The two compute the same numbers:

$$
Z_{ij} = b_j + \sum_{m=1}^{d} X_{im} W_{mj} \quad \text{for every sample } i \text{ and unit } j,
$$

but the matrix form hands the $n \cdot d \cdot h$ multiply-adds to a kernel that streams through memory in
blocks, uses the processor's vector instructions and keeps the operands in cache. This page times both, for one
MNIST-sized layer: a batch of $n = 128$ images of $d = 784$ pixels into $h = 128$ units.
*)
open System
open System.Diagnostics
open MathNet.Numerics.LinearAlgebra
open MathNet.Numerics.Distributions
open Hybrid.Core
open Hybrid.Charts

let n, d, h = 128, 784, 128

let random rows cols seed =
    Matrix<float32>.Build.Random(rows, cols, Normal(0.0, 1.0, Random(seed: int)))

let X, W, b = random n d 1, random d h 2 * 0.05f, random 1 h 3

/// The layer as loops over samples, units and inputs (row-major copies, so that the inner
/// loop walks memory in order).
let loops (x: Matrix<float32>) (w: Matrix<float32>) (b: Matrix<float32>) =
    let xs, ws = x.ToRowArrays(), w.Transpose().ToRowArrays()
    let z = Array2D.zeroCreate n h

    for i in 0 .. n - 1 do
        for j in 0 .. h - 1 do
            let mutable s = b[0, j]

            for m in 0 .. d - 1 do
                s <- s + xs[i][m] * ws[j][m]

            z[i, j] <- s

    Matrix<float32>.Build.DenseOfArray z

/// The same layer through Hybrid's ops: one matrix product and a broadcast bias.
let vectorized (x: Matrix<float32>) (w: Matrix<float32>) (b: Matrix<float32>) =
    (Linalg.addRowVector
        (Linalg.matmul (Graph.constant x) (Graph.constant w))
        (Graph.constant b))
        .Value
(**
First, that they agree (in single precision, to a relative $10^{-4}$):
*)
printfn
    "%O"
    (Check.close
        "Z = XW + 1b"
        1e-4
        (loops X W b |> Tensor.convert)
        (vectorized X W b |> Tensor.convert))
(*** include-output ***)
(**
Then the time of each, the best of several runs (the first runs warm the code up):
*)
let bestTime (f: unit -> Matrix<float32>) =
    let runs =
        [
            for _ in 1..7 ->
                let watch = Stopwatch.StartNew()
                f () |> ignore
                watch.Elapsed.TotalMilliseconds
        ]

    List.min (List.skip 2 runs)

let loopTime = bestTime (fun () -> loops X W b)
let pageProvider = Hybrid.Providers.Active

/// The matrix form on each of Hybrid's providers (see Providers and speed): managed C#,
/// SIMD, OpenBLAS.
let matrixTimes =
    [
        for kind in
            [
                Hybrid.ProviderKind.Managed
                Hybrid.ProviderKind.Simd
                Hybrid.ProviderKind.OpenBlas
            ] do
            try
                Hybrid.Providers.Use kind
                yield string kind, bestTime (fun () -> vectorized X W b)
            with e ->
                printfn "%O is not available here: %s" kind e.Message
    ]

Hybrid.Providers.Use pageProvider

Hybrid.Examples.Course.Table(
    [| "implementation"; "milliseconds"; "times faster than the loops" |],
    [
        yield [| "three loops"; $"{loopTime:F2}"; "1" |]
        for name, t in matrixTimes do
            let faster = loopTime / t
            yield [| $"matrix product, {name} provider"; $"{t:F3}"; $"{faster:F1}" |]
    ]
)
(*** include-it-raw ***)
(*** hide ***)
Chart
    .Bars(
        "three loops" :: [ for name, _ in matrixTimes -> $"XW, {name}" ],
        loopTime :: [ for _, t in matrixTimes -> t ],
        labelTitle = "implementation",
        valueTitle = "milliseconds (best of 5)"
    )
    .ToHtml(
        "vectorization-times",
        "One dense layer, 128 × 784 into 128 units, in float32: loops against the matrix form."
    )
(*** include-it-raw ***)
(**
The loop does the same arithmetic; what it cannot do is reuse: each element of $W$ is read from memory once per
sample, where a blocked matrix product loads a tile of $W$ once and uses it for many rows of $X$, and a vector
instruction does 8 or 16 multiply-adds at a time. The backward pass is vectorized the same way: $X^\top \delta$
replaces a sum over samples of outer products.

## Exercise: vectorize a gradient

<section class="exercise">

The loop below computes $\partial J / \partial W$ for the layer, given the output error $\delta$ ($n \times h$),
one sample at a time: the outer product $x_i^\top \delta_i$ summed over samples. Write it as one matrix
expression and have `Check.close` compare it. Multiplying in the wrong order ($\delta^\top X$) is refused:

</section>
*)
let delta = random n h 4 * 0.01f

let gradientByLoop =
    let g = Matrix<float>.Build.Dense(d, h)

    let x64, d64 =
        Tensor.convert<float32, float> X, Tensor.convert<float32, float> delta

    for i in 0 .. n - 1 do
        g.Add(x64.Row(i).OuterProduct(d64.Row(i)), g)

    g

printfn
    "%O"
    (Check.close "∂J/∂W" 1e-4 gradientByLoop (Tensor.convert (delta.Transpose() * X)))
(*** include-output ***)
(**
<details class="solution"><summary>Solution (the build runs it, and Check passes it)</summary>

$\partial J / \partial W = X^\top \delta$: $(d \times n)(n \times h) = d \times h$, the shape of $W$.
*)
let answer = Tensor.convert<float32, float>(X.Transpose() * delta)
printfn "%O" (Check.close "∂J/∂W" 1e-4 gradientByLoop answer |> Check.orFail)
(*** include-output ***)
(**
</details>

Next: [MNIST end to end](mnist.html), where these products run 60,000 images at a time.
*)
