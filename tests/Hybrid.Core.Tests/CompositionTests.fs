/// Random small graphs: programs of several ops, applied to earlier results (so nodes fan out),
/// checked end to end against finite differences.
module Hybrid.Core.Tests.CompositionTests

open Expecto
open FsCheck
open FsCheck.FSharp
open Hybrid.Core
open Hybrid.Core.Tests.Generators

/// Shape-preserving steps on r×c nodes; w is a c×c matrix. Each is smooth everywhere, and
/// bounded in growth, so finite differences stay accurate at any depth.
let private unary: (string * (Node<float> -> Node<float> -> Node<float>)) list =
    [
        "tanh", (fun _ a -> Activations.tanh a)
        "sigmoid", (fun _ a -> Activations.sigmoid a)
        "softplus", (fun _ a -> Activations.softplus a)
        "neg", (fun _ a -> Arith.neg a)
        "affine", (fun _ a -> a |> Arith.mulScalar 0.7 |> Arith.addScalar 0.3)
        "exp∘tanh", (fun _ a -> Pointwise.exp (Activations.tanh a))
        "sqrt(1+x²)", (fun _ a -> Pointwise.sqrt (Arith.addScalar 1.0 (Pointwise.pow 2.0 (Activations.tanh a))))
        "log(1+x²)", (fun _ a -> Pointwise.log (Arith.addScalar 1.0 (Arith.mul a a)))
        "softmax", (fun _ a -> Activations.softmax a)
        "logSoftmax", (fun _ a -> Activations.logSoftmax a)
        "x·w", (fun w a -> Linalg.matmul a w)
        "x·wᵀ", (fun w a -> Linalg.matmulWith false true a w)
        "(xᵀ)ᵀ", (fun _ a -> Linalg.transpose (Linalg.transpose a))
    ]

let private binary: (string * (Node<float> -> Node<float> -> Node<float>)) list =
    [
        "add", Arith.add
        "sub", Arith.sub
        "mul∘tanh", (fun a b -> Arith.mul a (Activations.tanh b))
        "div", (fun a b -> Arith.div a (Arith.addScalar 1.0 (Arith.mul b b)))
        "+colsum", (fun a b -> Arith.add a (Reduce.sumAxis 0 b))
        "*rowmean", (fun a b -> Arith.mul a (Activations.tanh (Reduce.meanAxis 1 b)))
        "+bias", (fun a b -> Linalg.addRowVector a (Reduce.meanAxis 0 b))
    ]

let private heads: (string * (Node<float> -> Node<float> -> Node<float>)) list =
    [
        "sum", (fun y _ -> Reduce.sum y)
        "mean", (fun y _ -> Reduce.mean y)
        "mse", Objectives.meanSquaredError
        "bceLogits", (fun y x -> Objectives.binaryCrossEntropyWithLogits y (Activations.sigmoid x))
        "crossEntropy", (fun y x -> Objectives.crossEntropyWithLogits y (Activations.softmax x))
    ]

/// A step: op number, then the indices of its operands among the nodes so far.
type Step = { Op: int; A: int; B: int }

/// Runs a program on inputs x0, x1, x2 (r×c) and w (c×c), returning the scalar head and a description.
let run (program: Step list) (head: int) (inputs: Node<float>[]) =
    let w = inputs[3]
    let nodes = ResizeArray(inputs[0..2])
    let names = ResizeArray([ "x0"; "x1"; "x2" ])

    for s in program do
        let n = nodes.Count
        let a, b = abs s.A % n, abs s.B % n
        let k = abs s.Op % (unary.Length + binary.Length)

        if k < unary.Length then
            let name, f = unary[k]
            nodes.Add(f w nodes[a])
            names.Add $"{name}({names[a]})"
        else
            let name, f = binary[k - unary.Length]
            nodes.Add(f nodes[a] nodes[b])
            names.Add $"{name}({names[a]}, {names[b]})"

    let name, f = heads[abs head % heads.Length]
    f nodes[nodes.Count - 1] inputs[0], $"{name}({names[names.Count - 1]})"

let private programs =
    let step =
        gen {
            let! op = Gen.choose (0, 99)
            let! a = Gen.choose (0, 99)
            let! b = Gen.choose (0, 99)
            return { Op = op; A = a; B = b }
        }

    let generate =
        gen {
            let! length = Gen.choose (1, 6)
            let! steps = Gen.listOfLength length step
            let! head = Gen.choose (0, 99)
            return steps, head
        }

    // Shorter programs first, then simpler operand choices.
    let shrink (steps: Step list, head) =
        seq {
            for i in 0 .. steps.Length - 1 do
                if steps.Length > 1 then
                    yield List.removeAt i steps, head
        }

    Arb.fromGenShrink (generate, shrink)

let private inputs =
    cases 2 (fun d ->
        [|
            (d[0], d[1], Domain.any)
            (d[0], d[1], Domain.any)
            (d[0], d[1], Domain.any)
            (d[1], d[1], { Domain.any with Lo = -0.5; Hi = 0.5 })
        |])

[<Tests>]
let tests =
    testList
        "Composition"
        [
            reportedProperty
                "random compositions of ops have gradients that match finite differences"
                "random compositions"
                (fun observe ->
                    Prop.forAll inputs (fun case ->
                        Prop.forAll programs (fun (program, head) ->
                            let result = GradientCheck.check (fun x -> fst (run program head x)) case.Inputs
                            observe result.MaxError
                            let _, description = run program head (Array.map Graph.constant case.Inputs)
                            result.Passed |> Prop.label $"{description}: {result}")))
        ]
