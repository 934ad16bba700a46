(**
---
title: Optimization
category: The course
categoryindex: 2
index: 12
---
*)
(*** hide ***)
#load "../tests/Hybrid.Examples/References.fsx"
(**
# Optimization: batches, optimizers and schedules
*)
(*** hide ***)
Hybrid.Examples.Course.Notation
(*** include-it-raw ***)
(**

Training is gradient descent on the loss. Three choices shape it: how many samples each gradient is estimated from
(the batch size), how a step is made from the gradients (the optimizer), and how the step size changes over time
(the learning-rate schedule). Hybrid's optimizers follow `torch.optim`'s update rules exactly (tests check them
against PyTorch's numbers).

## Batch, mini-batch and stochastic gradient descent

One data set (400 points of two moons), one network (2-16-1, tanh), plain SGD at the same learning rate, three batch
sizes: the whole set, which is **batch** gradient descent (one exact step per epoch); 32, **mini-batch** (13 noisier
steps per epoch); and 1, **stochastic** gradient descent (400 very noisy steps per epoch). The loss is measured on the whole set after every
epoch.
*)
open Hybrid
open Hybrid.Data
open Hybrid.Charts

let moons = ToyData.Moons(400, noise = 0.15, seed = 2)

// Trains a model and returns its loss on the whole training set after each epoch.
let lossAfterEachEpoch (net: Model) (data: Dataset) epochs batch =
    [|
        for e in
            net.Fit(data, epochs = epochs, batchSize = batch, validation = data).Epochs ->
            e.ValidationLoss.Value
    |]

let moonsNet (optimizer: Optimizer) =
    Network
        .Sequential(2)
        .Dense(16, Activation.Tanh)
        .Dense(1)
        .Compile(Loss.BinaryCrossEntropyWithLogits, optimizer, seed = 1)

let batches =
    [ "batch (400)", 400; "mini-batch (32)", 32; "stochastic (1)", 1 ]
    |> List.map (fun (name, size) ->
        Series.Of(name, lossAfterEachEpoch (moonsNet (Optimizer.Sgd 0.05)) moons 40 size))
(*** hide ***)
Chart
    .Lines(batches, "epoch", "loss on the whole set", logY = true)
    .WithSize(480, 280)
    .ToHtml(
        "batch-sizes",
        "SGD (learning rate 0.05) with three batch sizes: loss after each epoch (log scale)."
    )
(*** include-it-raw ***)
(**
Per epoch, smaller batches win because they take more steps for the same pass over the data; the price is noise,
and on real hardware a larger batch makes each step cheaper per sample. Mini-batches of tens to hundreds are the
usual compromise.

## Five optimizers on MNIST

The same 784-64-10 ReLU network, the same 10,000 MNIST images, batches of 64, ten epochs; each optimizer at a
customary learning rate. The loss is measured on the 10,000 training images after every epoch.
*)
let mnist = Mnist.Load()
let subset = mnist.Train.Take 10000

let mnistLoss (optimizer: Optimizer) =
    let net =
        Network
            .Sequential(784)
            .Dense(64, Activation.ReLU)
            .Dense(10)
            .Compile(Loss.SoftmaxCrossEntropy, optimizer, seed = 1)

    lossAfterEachEpoch net subset 10 64, net.Evaluate(mnist.Test).Accuracy

let optimizers =
    [
        "SGD 0.05", Optimizer.Sgd 0.05
        "momentum 0.05, 0.9", Optimizer.Momentum(0.05, 0.9)
        "Nesterov 0.05, 0.9", Optimizer.Nesterov(0.05, 0.9)
        "RMSProp 0.001", Optimizer.RmsProp 0.001
        "Adam 0.001", Optimizer.Adam 0.001
    ]

let runs = [ for name, o in optimizers -> name, mnistLoss o ]

(*** hide ***)
Chart
    .Lines(
        [ for name, (losses, _) in runs -> Series.Of(name, losses) ],
        "epoch",
        "training loss",
        logY = true
    )
    .WithSize(480, 300)
    .ToHtml(
        "optimizers",
        "Training loss per epoch of five optimizers on 10,000 MNIST images (log scale)."
    )
(*** include-it-raw ***)
(**
The optimizers ranked by their final training loss, with their test accuracy (%) after the ten epochs:
*)
let ranking =
    [
        for name, (losses, accuracy) in runs ->
            name, Array.last losses, System.Math.Round(100.0 * accuracy, 2)
    ]
    |> List.sortBy (fun (_, loss, _) -> loss)
(*** hide ***)
Hybrid.Examples.Course.Table(
    [| "optimizer"; "final training loss"; "test accuracy" |],
    [
        for name, loss, accuracy in ranking -> [| name; $"{loss:G4}"; $"{accuracy} %%" |]
    ]
)
(*** include-it-raw ***)
(**
Momentum accumulates a velocity and so keeps moving along directions where the gradient is consistent; Nesterov
evaluates the gradient a step ahead; RMSProp divides each weight's step by a running root-mean-square of its
gradients, and Adam combines both ideas with bias correction. Which one wins here depends on the learning rates as much
as on the method: each ran at one rate, and the ranking above is that of those five (method, rate) pairs, not of
the methods. Adam at 0.001 is a common default because its step is about the learning rate in every coordinate
whatever the gradient's scale, not because it wins every race; the update rules, and a learning-rate sweep of each
method, are on the page [Optimizers](optimizers.html).

## Learning-rate schedules

A schedule changes the learning rate from epoch to epoch. `Scheduler` (in the core; `Schedule.*` from C#) gives the
rate of each epoch for a base rate of 0.1 over 30 epochs. Reduce-on-plateau depends on the loss, so it is fed a loss
that stops improving after epoch 8.
*)
open Hybrid.Core

let ratesOf schedule =
    let s = Scheduler(schedule, 0.1)
    [| for epoch in 0..29 -> s.Rate epoch |]

let plateau =
    let s = Scheduler(ReduceOnPlateau(0.5, 3, 1e-4, 0.0), 0.1)

    [|
        for epoch in 0..29 ->
            let rate = s.Rate epoch
            s.Observe(max 0.3 (1.0 - 0.1 * float epoch))
            rate
    |]

let schedules =
    [
        Series.Of("constant", ratesOf Constant)
        Series.Of("step (10, ×0.5)", ratesOf (StepDecay(10, 0.5)))
        Series.Of("exponential (×0.9)", ratesOf (Exponential 0.9))
        Series.Of("cosine (30)", ratesOf (Cosine(30, 0.0)))
        Series.Of("warm-up (5) then cosine", ratesOf (Warmup(5, 0.1, Cosine(25, 0.0))))
        Series.Of("reduce on plateau", plateau)
    ]
(*** hide ***)
Chart
    .Lines(schedules, "epoch", "learning rate")
    .WithSize(480, 300)
    .ToHtml(
        "schedules",
        "The learning rate per epoch under six schedules, from a base rate of 0.1."
    )
(*** include-it-raw ***)
(**
From the command line the same schedules are `--schedule step:10:0.5`, `exponential:0.9`, `cosine`, `warmup:5:cosine`
and `plateau`; the [MNIST page](mnist.html) uses a cosine schedule.
*)
(**
## Exercise: the cosine schedule

<section class="exercise">

The cosine schedule takes the rate from $\eta_0$ down to $\eta_\text{min}$ over $T$ epochs along half a cosine:
$\eta_t = \eta_\text{min} + \frac{1}{2} (\eta_0 - \eta_\text{min}) (1 + \cos(\pi t / T))$. Compute the
30 rates of `Cosine(30, 0.0)` from a base rate of 0.1 and have `Check.close` compare them with `Scheduler`'s. A
full cosine period ($2\pi t / T$) is refused:

</section>
*)
let library =
    MathNet.Numerics.LinearAlgebra.Matrix<float>.Build.DenseOfRowArrays(
        [| ratesOf (Cosine(30, 0.0)) |]
    )

let cosineRates (period: float) =
    MathNet.Numerics.LinearAlgebra.Matrix<float>.Build.Dense(
        1,
        30,
        fun _ t -> 0.05 * (1.0 + cos (period * System.Math.PI * float t / 30.0))
    )

printfn "%O" (Check.close "cosine schedule" 1e-12 library (cosineRates 2.0))
(*** include-output ***)
(**
<details class="solution"><summary>Solution (the build runs it, and Check passes it)</summary>

Half a period: $\eta_t = 0.05\,(1 + \cos(\pi t / 30))$.
*)
printfn
    "%O"
    (Check.close "cosine schedule" 1e-12 library (cosineRates 1.0) |> Check.orFail)
(*** include-output ***)
(**
</details>

Next: [Optimizers](optimizers.html), the update rules written out and raced.
*)
