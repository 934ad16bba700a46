/// A recorded graph replays what a fresh build of the same graph computes.
module Hybrid.Core.Tests.ReplayTests

open System
open Expecto
open FsCheck.FSharp
open MathNet.Numerics.LinearAlgebra
open Hybrid.Core
open Hybrid.Core.Tests.Generators

/// A graph of every op with an in-place form, of x (m×n), w (n×k), b (1×k) and c (m×1, positive): out m×k. x and a feed
/// many ops, so their gradients sum several paths.
let private everyOp (leaves: Node<float>[]) =
    let x, w, b, c = leaves[0], leaves[1], leaves[2], leaves[3]
    let h = Linalg.addRowVector (Linalg.matmul x w) b
    let h2 = Linalg.matmulWith false true x (Linalg.transpose w)
    let h3 = Linalg.matmulWith true false (Linalg.transpose x) w
    let a = Arith.add h (Arith.mulScalar 0.1 (Arith.mul h2 h3))

    let activations =
        [
            Activations.sigmoid a
            Activations.tanh a
            Activations.relu a
            Activations.leakyRelu 0.1 a
            Activations.softplus a
            Activations.softmax a
            Activations.logSoftmax a
            Activations.step a
        ]

    let positive = Arith.addScalar 1.0 (Pointwise.exp (Arith.neg a))

    let pointwise =
        [
            Arith.div (Activations.softplus a) positive
            Pointwise.log (Arith.addScalar 2.0 (Activations.sigmoid a))
            Pointwise.sqrt (Arith.addScalar 1.0 (Pointwise.abs a))
            Pointwise.pow 1.5 (Arith.addScalar 0.5 (Activations.softplus a))
            Pointwise.clip -1.0 1.0 a
        ]

    let broadcasts =
        [
            Arith.mul a c // a column
            Arith.sub a b // a row
            Arith.mul a (Reduce.mean a) // a scalar
            Arith.div a (Reduce.sum (Arith.mul c c) |> Arith.addScalar 1.0)
            Arith.sub a (Reduce.sumAxis 0 a)
            Arith.add a (Reduce.meanAxis 1 a)
        ]

    activations @ pointwise @ broadcasts |> List.reduce Arith.add

/// Cases of dims [m; n; k]: leaves x, w, b, c and the seed, twice (the record's values, then the replay's).
let private cases =
    let leaves (d: int[]) =
        [|
            d[0], d[1], Domain.any
            d[1], d[2], Domain.any
            1, d[2], Domain.any
            d[0], 1, Domain.positive
            d[0], d[2], Domain.any
        |]

    Generators.cases 3 (fun d -> Array.append (leaves d) (leaves d))

let private variables (ms: Matrix<float>[]) =
    ms |> Array.mapi (fun i m -> Graph.variable $"p{i}" (m.Clone()))

[<Tests>]
let tests =
    testList
        "Replay"
        [
            testPropertyWithConfig
                config
                "a recorded graph of every in-place op, replayed on new values, gives a fresh build's value and gradients"
                (Prop.forAll cases (fun case ->
                    let first, second = case.Inputs[0..4], case.Inputs[5..9]
                    let leaves = variables first[0..3]
                    let y = everyOp leaves
                    let seed = first[4].Clone()

                    let buffers =
                        leaves
                        |> Array.map (fun l -> Matrix<float>.Build.Dense(l.Shape.Rows, l.Shape.Cols))

                    match Replay.tryRecord y seed (Array.map2 (fun l b -> struct (l, b)) leaves buffers) with
                    | None -> false |> Prop.label "every op here has an in-place form"
                    | Some recording ->
                        // New values in place, as an optimizer and a refilled input buffer leave them.
                        for k in 0..3 do
                            second[k].CopyTo leaves[k].Value

                        second[4].CopyTo seed
                        recording.Forward()
                        recording.Backward()

                        let fresh = variables second[0..3]
                        let expected = everyOp fresh
                        Graph.backwardWith false second[4] expected

                        (close 1e-12 y.Value expected.Value |> Prop.label "value")
                        .&. (Array.forall2
                                 (fun (b: Matrix<float>) (f: Node<float>) -> close 1e-12 b f.Grad.Value)
                                 buffers
                                 fresh
                             |> Prop.label "gradients")))

            testCase "a graph with an op made by plain Graph.op is not recorded, and an unused leaf's gradient is zero"
            <| fun () ->
                let x = Graph.variable "x" (Tensor.ones (Shape.create 2 2))
                let unused = Graph.variable "unused" (Tensor.ones (Shape.create 1 2))

                let own =
                    Graph.op "double" [| x |] (x.Value.Multiply 2.0) (fun g _ -> g.Multiply 2.0)

                let seed = Tensor.ones (Shape.create 2 2)
                let buffer () = Matrix<float>.Build.Dense(2, 2)
                Expect.isNone (Replay.tryRecord own seed [| struct (x, buffer ()) |]) "Graph.op has no in-place form"

                let y = Activations.tanh x
                let stale = Matrix<float>.Build.Dense(1, 2, 5.0)

                let recording =
                    Replay.tryRecord y seed [| struct (x, buffer ()); struct (unused, stale) |]

                Expect.isSome recording "tanh has one"
                recording.Value.Backward()
                Expect.equal (stale.Enumerate() |> Seq.max) 0.0 "zeros for a leaf the output does not depend on"
        ]
