(**
---
title: Build your own framework
category: The course
categoryindex: 2
index: 16
---
*)
(*** hide ***)
#load "../tests/Hybrid.Examples/References.fsx"
(**
# Build your own framework
*)
(*** hide ***)
Hybrid.Examples.Course.Notation
(*** include-it-raw ***)
(**

Every page so far used Hybrid's layers, losses and optimizers. None of them is magic: a layer is a function of its
input node and the parameters it owns, an optimizer is a rule that changes the parameters from their gradients, and
a training loop is the forward pass, `Graph.grad` and one step of the rule, batch after batch. This page builds a
small modular framework on nothing but the public graph of `Hybrid.Core` (nodes, ops and reverse-mode gradients),
then trains MNIST with it.

## Layers

The framework's one abstraction: a layer maps an input node (a batch, samples as rows) to an output node, and lists
the parameters it owns, so an optimizer can find them.
*)
open System
open MathNet.Numerics.LinearAlgebra
open Hybrid.Core
open Hybrid.Data

type ILayer =
    abstract Forward: Node<float32> -> Node<float32>
    abstract Parameters: Node<float32> list

(**
A dense layer holds $W$ ($d \times h$) and $b$ ($1 \times h$) and computes $XW + \mathbf{1} b$. Its weights start
random, drawn from Glorot's uniform range $\pm\sqrt{6 / (d + h)}$ (see [initialization](initialization.html)); its biases
start at zero.
*)
type Dense(inputs: int, outputs: int, rng: Random) =
    let bound = sqrt (6.0 / float (inputs + outputs))

    let uniform _ _ =
        float32 ((2.0 * rng.NextDouble() - 1.0) * bound)

    let w = Graph.variable "W" (Matrix<float32>.Build.Dense(inputs, outputs, uniform))

    let b = Graph.variable "b" (Matrix<float32>.Build.Dense(1, outputs))

    interface ILayer with
        member _.Forward x = Linalg.addRowVector (Linalg.matmul x w) b
        member _.Parameters = [ w; b ]

type ReLU() =
    interface ILayer with
        member _.Forward x = Activations.relu x
        member _.Parameters = []

/// Layers applied one after the other; its parameters are all of theirs.
type Stack(layers: ILayer list) =
    member _.Forward(x: Node<float32>) =
        layers |> List.fold (fun h (layer: ILayer) -> layer.Forward h) x

    member _.Parameters = layers |> List.collect (fun layer -> layer.Parameters)

(**
## An optimizer

SGD with momentum, PyTorch's rule: every parameter $\theta$ keeps a velocity $v$, and each step does

$$
v \leftarrow \mu v + g, \qquad \theta \leftarrow \theta - \eta v,
$$

where $g$ is the gradient of the batch's loss. The update changes the parameter's matrix in place, so
the next forward pass sees it.
*)
type Momentum(parameters: Node<float32> list, rate: float32, mu: float32) =
    let velocities =
        parameters
        |> List.map (fun p -> Matrix<float32>.Build.SameAs p.Value)

    member _.Step(gradients: Matrix<float32>[]) =
        List.iteri2
            (fun i (p: Node<float32>) (v: Matrix<float32>) ->
                v.Multiply(mu, v)
                v.Add(gradients[i], v)
                p.Value.Subtract(v.Multiply rate, p.Value))
            parameters
            velocities

(**
## Training MNIST with it

Twelve thousand training images: nine tenths to train on, one tenth to validate after each epoch. A batch's rows
are gathered from a fresh permutation every epoch; the loss is softmax cross-entropy on the logits.
*)
let mnist = Mnist.Load()
let struct (train, validation) = mnist.Train.Take(12000).Split(0.9, seed = 1)
let features, targets = train.Features(), train.Targets()

let rng = Random 1
let network = Stack [ Dense(784, 128, rng); ReLU(); Dense(128, 10, rng) ]
let optimizer = Momentum(network.Parameters, 0.05f, 0.9f)

/// The fraction of a dataset's samples whose largest output is their label.
let accuracy (data: Dataset) =
    let logits = network.Forward(Graph.constant (data.Features())).Value
    let labels = data.Labels

    Seq.init data.Count (fun i -> logits.Row(i).MaximumIndex() = labels[i])
    |> Seq.averageBy (fun hit -> if hit then 1.0 else 0.0)

let batch = 64
let batchLosses = ResizeArray<float>()

for epoch in 1..3 do
    let order = Array.init train.Count id
    rng.Shuffle order
    let mutable total = 0.0

    for start in 0..batch .. train.Count - 1 do
        let size = min batch (train.Count - start)
        let rows (m: Matrix<float32>) =
            let row i j = m[order[start + i], j]
            Matrix<float32>.Build.Dense(size, m.ColumnCount, row)

        let x = Graph.constant (rows features)
        let t = Graph.constant (rows targets)
        let loss = Objectives.crossEntropyWithLogits (network.Forward x) t
        batchLosses.Add(float loss.Value[0, 0])
        total <- total + float loss.Value[0, 0] * float size
        optimizer.Step(Graph.grad network.Parameters loss)

    let loss = total / float train.Count
    let valid = 100.0 * accuracy validation
    printfn $"epoch {epoch}: loss %.4f{loss}, validation accuracy %.2f{valid}%%"
(*** include-output ***)
(*** hide ***)
open Hybrid.Charts

let batchNumbers = Array.init batchLosses.Count (fun i -> float (i + 1))

Chart
    .Lines([ Series("batch loss", batchNumbers, batchLosses.ToArray()) ], "batch", "softmax cross-entropy")
    .WithSize(480, 260)
    .ToHtml(
        "framework-loss",
        "The loss of each mini-batch over the three epochs of the hand-written framework."
    )
(*** include-it-raw ***)
(**
The test set is looked at once, now that training is over:
*)
let testAccuracy = accuracy mnist.Test
printfn $"test accuracy %.2f{100.0 * testAccuracy}%%"
(*** include-output ***)
(**
That is the whole of a framework: Hybrid's `Sequential`, its optimizers and `Fit` do the same with more layers,
more rules, schedules, checkpoints and a fused step that needs no graph at all.

## Exercise: Nesterov momentum

Nesterov's variant looks ahead along the velocity: with the same $v \leftarrow \mu v + g$, the step is
$\theta \leftarrow \theta - \eta (g + \mu v)$.
Write its update of one parameter, given the parameter θ, its velocity v and its gradient g (all matrices), and
return the new θ and v without changing the inputs. The check compares your update with the rule on random matrices.

</section>
*)
type M = Matrix<float>
type Update = float -> float -> M -> M -> M -> M * M

/// rate, mu, θ, v, g -> (new θ, new v)
let nesterovStep: Update =
    fun rate mu theta v g ->
        // Your answer: return (new theta, new v).
        theta, v

(**
<details class="solution"><summary>Solution (the build runs it, and Check passes it)</summary>
*)
let nesterovSolution: Update =
    fun rate mu theta v g ->
        let v' = mu * v + g
        theta - rate * (g + mu * v'), v'

(**
</details>

The check runs three steps of both, from the same random start, and compares the parameters:
*)
let grade name (step: Update) =
    let random = MathNet.Numerics.Random.SystemRandomSource(7)
    let normal = MathNet.Numerics.Distributions.Normal(0.0, 1.0, random)
    let draw () = Matrix<float>.Build.Random(3, 4, normal)
    let start, gradients = draw (), [ draw (); draw (); draw () ]

    let run (f: Update) =
        gradients
        |> List.fold (fun (theta, v) g -> f 0.1 0.9 theta v g) (start, start * 0.0)
        |> fst

    Check.close name 1e-12 (run nesterovSolution) (run step)

printfn "%O" (grade "Nesterov momentum (the solution)" nesterovSolution |> Check.orFail)
(*** include-output ***)
(**
The unfinished answer above, which returns θ unchanged, is refused, and the verdict says how far off it is:
*)
printfn "%O" (grade "Nesterov momentum (the unfinished answer)" nesterovStep)
(*** include-output ***)
(**
Next: [the binary classifier and your own pictures](your-own-pictures.html).
*)
