/// The fused training step computes what the graph computes.
module Hybrid.Core.Tests.FusedTests

open System
open Expecto
open FsCheck
open FsCheck.FSharp
open MathNet.Numerics.LinearAlgebra
open Hybrid.Core
open Hybrid.Core.Tests.Generators

/// A user-defined activation from scalar functions, x·σ(x) with f′ = σ(x) + y(1 − σ(x)).
let private swish =
    let sigma x = 1.0 / (1.0 + exp -x)

    ActivationRules.FunctionRule(
        "swish",
        Func<float, float>(fun x -> x * sigma x),
        Func<float, float, float>(fun x y -> sigma x + y * (1.0 - sigma x))
    )

/// Swish built from graph ops, x ⊙ σ(x): its derivative is the graph's.
let private graphSwish =
    GraphActivationRule(
        "graph swish",
        Func<Node<float32>, Node<float32>>(fun x -> Arith.mul x (Activations.sigmoid x)),
        Func<Node<float>, Node<float>>(fun x -> Arith.mul x (Activations.sigmoid x))
    )

/// A small network: dims [batch; inputs; hidden; outputs; variant], with the output layer the loss takes
/// (a Sigmoid before the binary cross-entropy, a Softmax before the categorical one, logits otherwise).
let private network (objective: LossFunction) (d: int[]) =
    let act =
        match (d[0] + d[4]) % 7 with
        | 0 -> ActivationFunction.ReLU
        | 1 -> ActivationFunction.Tanh
        | 2 -> ActivationFunction.Sigmoid
        | 3 -> ActivationFunction.Softplus
        | 4 -> ActivationFunction.SiLU
        | 5 -> ActivationFunction.Custom swish
        | _ -> ActivationFunction.LeakyReLU 0.1

    let head =
        match objective with
        | LossFunction.BinaryCrossEntropy -> [| LayerSpec.Activation ActivationFunction.Sigmoid |]
        | LossFunction.CategoricalCrossEntropy -> [| LayerSpec.Activation ActivationFunction.Softmax |]
        | _ -> [||]

    Array.append
        [|
            LayerSpec.Dense(d[2], GlorotUniform, GlorotUniform)
            LayerSpec.Activation act
            LayerSpec.Dropout(if d[4] % 2 = 0 then 0.3 else 0.0)
            LayerSpec.Dense(d[3], GlorotUniform, GlorotUniform)
        |]
        head

/// A user-defined graph layer, y = x + tanh(x·W) with W [width, width].
type private Residual() =
    inherit GraphLayerRule()
    override _.Name = "residual"
    override _.Outputs inputs = inputs

    override _.Parameters inputs =
        [| "weight", inputs, inputs, GlorotUniform |]

    override _.Forward<'T
        when 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'T :> Numerics.IFloatingPointIeee754<'T>>
        (x: Node<'T>, ps: Node<'T>[])
        =
        Arith.add x (Activations.tanh (Linalg.matmul x ps[0]))

/// A layer whose forward builds one graph on its first call and another afterwards, as a forward that branches on
/// values may: y = x ⊙ s, then y = x ⊙ s + x.
type private Changing() =
    inherit GraphLayerRule()
    let mutable calls = 0
    override _.Name = "changing"
    override _.Outputs inputs = inputs

    override _.Parameters inputs = [| "scale", 1, inputs, GlorotUniform |]

    override _.Forward<'T
        when 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'T :> Numerics.IFloatingPointIeee754<'T>>
        (x: Node<'T>, ps: Node<'T>[])
        =
        calls <- calls + 1
        let y = Arith.mul x ps[0]
        if calls = 1 then y else Arith.add y x

/// A layer with an op of its own made by plain Graph.op (no in-place form): y = tanh(2x ⊙ s).
type private OwnOp() =
    inherit GraphLayerRule()
    override _.Name = "own op"
    override _.Outputs inputs = inputs

    override _.Parameters inputs = [| "scale", 1, inputs, GlorotUniform |]

    override _.Forward<'T
        when 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'T :> Numerics.IFloatingPointIeee754<'T>>
        (x: Node<'T>, ps: Node<'T>[])
        =
        let two = Tensor.ofFloat<'T> 2.0

        let doubled =
            Graph.op "double" [| x |] (x.Value.Multiply two) (fun g _ -> g.Multiply two)

        Activations.tanh (Arith.mul doubled ps[0])

let private objectives =
    [
        LossFunction.SoftmaxCrossEntropy
        LossFunction.MeanSquaredError
        LossFunction.BinaryCrossEntropy
        LossFunction.BinaryCrossEntropyWithLogits
        LossFunction.CategoricalCrossEntropy
    ]

let private optimizers =
    [
        "Adam", OptimizerSpec.adam 0.01
        "Nesterov", OptimizerSpec.nesterov 0.1 0.9
        "RMSProp with weight decay", OptimizerSpec.rmsProp 0.01 |> OptimizerSpec.withWeightDecay 0.01
        "AdamW", OptimizerSpec.adamW 0.01 0.1
    ]

/// A trainer of either kind over a model: a step (drawing dropout from rng), its state out, a state in.
let private trainer fused (objective: LossFunction) optimizer clip (model: Sequential<float>) (case: Case) =
    let x, y = case.Inputs[0], case.Inputs[1]

    if fused then
        let t = FusedTrainer(model, objective, optimizer, clip)
        let outputs = Array.zeroCreate (x.RowCount * y.ColumnCount)

        let fill =
            Action<Span<float>, Span<float>>(fun xs ys ->
                x.ToRowMajorArray().CopyTo xs
                y.AsColumnMajorArray().CopyTo ys)

        (fun rng ->
            t.Step(ManagedKernels<float>.Instance, x.RowCount, fill, 0.05, rng, Span outputs)
            |> ignore),
        (fun () -> t.Export()),
        (fun state -> t.Restore state)
    else
        let t = GraphTrainer(model, objective, optimizer, clip)

        (fun rng -> t.Step(x, y, 0.05, rng) |> ignore<struct (float * _)>),
        (fun () -> t.Export()),
        (fun state -> t.Restore state)

/// The parameters of model after three steps on the case's batch, by the graph or by the fused trainer.
let private threeSteps fused objective optimizer clip (model: Sequential<float>) (case: Case) =
    let step, _, _ = trainer fused objective optimizer clip model case
    let rng = Random 9

    for _ in 1..3 do
        step rng

    Sequential.parameters model |> Array.map (fun (_, p) -> p.Value)

/// Parameters after three steps on the same batch, by the graph or by the fused trainer.
let private train fused (objective: LossFunction) optimizer clip (case: Case) =
    let d = case.Dims
    let model = Sequential.create<float> (Random d[4]) d[1] (network objective d)
    threeSteps fused objective optimizer clip model case

/// The same as train, for a model with a graph layer between dense ones.
let private trainWithLayer (layer: GraphLayerRule) fused optimizer clip (case: Case) =
    let d = case.Dims

    let specs =
        [|
            LayerSpec.Dense(d[2], GlorotUniform, GlorotUniform)
            LayerSpec.Graph layer
            LayerSpec.Activation ActivationFunction.ReLU
            LayerSpec.Dense(d[3], GlorotUniform, GlorotUniform)
        |]

    let model = Sequential.create<float> (Random d[4]) d[1] specs
    threeSteps fused LossFunction.SoftmaxCrossEntropy optimizer clip model case

/// The same as train, for dense layers around an activation (twice: one rule, two layers of one shape).
let private trainWithActivation (rule: ActivationRule) fused (case: Case) =
    let d = case.Dims

    let specs =
        [|
            LayerSpec.Dense(d[2], GlorotUniform, GlorotUniform)
            LayerSpec.Activation(ActivationFunction.Custom rule)
            LayerSpec.Dense(d[2], GlorotUniform, GlorotUniform)
            LayerSpec.Activation(ActivationFunction.Custom rule)
            LayerSpec.Dense(d[3], GlorotUniform, GlorotUniform)
        |]

    let model = Sequential.create<float> (Random d[4]) d[1] specs
    threeSteps fused LossFunction.SoftmaxCrossEntropy (OptimizerSpec.adam 0.01) None model case

let private trainWithGraphLayer fused optimizer clip case =
    trainWithLayer (Residual()) fused optimizer clip case

let private batches =
    cases 5 (fun d -> [| (d[0], d[1], Domain.any); (d[0], d[3], Domain.unit) |])

/// Parameters after three steps straight, and after two steps, a copy of the weights and the optimizer's state into a
/// new model and trainer, and a third step there.
let private resumed fused objective optimizer clip (case: Case) =
    let d = case.Dims

    let build () =
        Sequential.create<float> (Random d[4]) d[1] (network objective d)

    let straight = build ()
    let step, _, _ = trainer fused objective optimizer clip straight case
    let rng = Random 9

    for _ in 1..3 do
        step rng

    let first = build ()
    let step, export, _ = trainer fused objective optimizer clip first case
    let rng = Random 9
    step rng
    step rng
    let state = export ()
    let second = build ()

    for (_, a), (_, b) in Array.zip (Sequential.parameters first) (Sequential.parameters second) do
        (Tensor.data a.Value).CopyTo(Tensor.data b.Value, 0)

    let step, _, restore = trainer fused objective optimizer clip second case
    restore state
    step rng

    let values m =
        Sequential.parameters m |> Array.map (fun (_, p) -> Tensor.data p.Value)

    values straight, values second

[<Tests>]
let tests =
    testList
        "Fused"
        [
            testList
                "the fused step updates the parameters exactly as the graph step does"
                [
                    for objective in objectives do
                        for name, optimizer in optimizers do
                            for clip in [ None; Some 0.5 ] do
                                let clipped =
                                    match clip with
                                    | None -> "no clipping"
                                    | Some n -> $"clipped to {n}"

                                testPropertyWithConfig
                                    config
                                    $"{objective}, {name}, {clipped}"
                                    (Prop.forAll batches (fun case ->
                                        let graph = train false objective optimizer clip case
                                        let fused = train true objective optimizer clip case

                                        Array.forall2 (close 1e-10) graph fused
                                        |> Prop.label $"{objective} {optimizer} clip {clip}"))
                ]

            testList
                "a trainer restored from another's state continues exactly as the first would have"
                [
                    for fused in [ true; false ] do
                        for name, optimizer in optimizers do
                            testPropertyWithConfig
                                config
                                $"""{(if fused then "fused" else "graph")}, {name}"""
                                (Prop.forAll batches (fun case ->
                                    let straight, resumed =
                                        resumed fused LossFunction.SoftmaxCrossEntropy optimizer None case

                                    straight = resumed |> Prop.label $"{name}"))
                ]

            testCase "a state whose buffers do not fit the model is refused, naming the buffer" (fun () ->
                let model =
                    Sequential.create<float> (Random 1) 3 [| LayerSpec.Dense(2, Zeros, Zeros) |]

                let t =
                    FusedTrainer(model, LossFunction.SoftmaxCrossEntropy, OptimizerSpec.adam 0.01, None)

                let good = t.Export()

                let short =
                    { good with
                        First = [| Array.zeroCreate 5; Array.zeroCreate 2 |]
                    }

                let message =
                    try
                        t.Restore short
                        ""
                    with :? ArgumentException as e ->
                        e.Message

                Expect.stringContains message "first buffer 0 has 5 values, but parameter 0 has 6" "names the buffer"
                Expect.throwsT<ArgumentException> (fun () -> t.Restore { good with Steps = -1 }) "negative steps")

            testList
                "a user-defined graph layer between fused layers updates the parameters as the graph step does"
                [
                    for name, optimizer in optimizers do
                        for clip in [ None; Some 0.5 ] do
                            testPropertyWithConfig
                                config
                                $"{name}, clip {clip}"
                                (Prop.forAll batches (fun case ->
                                    let graph = trainWithGraphLayer false optimizer clip case
                                    let fused = trainWithGraphLayer true optimizer clip case
                                    Array.forall2 (close 1e-10) graph fused))
                ]

            testPropertyWithConfig
                config
                "a graph layer whose graph changes after its first step, or with an op of its own, trains as the graph step does"
                (Prop.forAll batches (fun case ->
                    let adam = OptimizerSpec.adam 0.01

                    [ (fun () -> Changing() :> GraphLayerRule); (fun () -> OwnOp()) ]
                    |> List.forall (fun layer ->
                        let graph = trainWithLayer (layer ()) false adam None case
                        let fused = trainWithLayer (layer ()) true adam None case
                        Array.forall2 (close 1e-10) graph fused)))

            testPropertyWithConfig
                config
                "an activation built from graph ops trains as the graph step does, and as its f and f′ form"
                (Prop.forAll batches (fun case ->
                    let graph = trainWithActivation graphSwish false case
                    let fused = trainWithActivation graphSwish true case
                    let scalar = trainWithActivation swish true case

                    Array.forall2 (close 1e-10) graph fused
                    && Array.forall2 (close 1e-10) scalar fused))

            testCase
                "a warmed fused step of a model with a graph layer and an activation of in-place ops allocates nothing"
                (fun () ->
                    // MathNet's managed provider allocates inside its own matrix products; the fast providers do not.
                    if Hybrid.Providers.Active = Hybrid.ProviderKind.Managed then
                        skiptest "the managed provider's products allocate"

                    let specs =
                        [|
                            LayerSpec.Dense(16, GlorotUniform, GlorotUniform)
                            LayerSpec.Graph(Residual())
                            LayerSpec.Activation(ActivationFunction.Custom graphSwish)
                            LayerSpec.Dense(3, GlorotUniform, GlorotUniform)
                        |]

                    let model = Sequential.create<float32> (Random 1) 8 specs

                    let t =
                        FusedTrainer(model, LossFunction.SoftmaxCrossEntropy, OptimizerSpec.adam 0.01, None)

                    let rows = 32
                    let xs = Array.init (rows * 8) (fun k -> float32 (sin (float k)))
                    let ys = Array.init (rows * 3) (fun k -> if k / rows = k % 3 then 1.0f else 0.0f)
                    let outputs = Array.zeroCreate<float32>(rows * 3)

                    let fill =
                        Action<Span<float32>, Span<float32>>(fun x y ->
                            xs.CopyTo x
                            ys.CopyTo y)

                    let rng = Random 2

                    let step () =
                        t.Step(Hybrid.Providers.Kernels<float32>(), rows, fill, 0.01, rng, Span outputs)
                        |> ignore

                    for _ in 1..20 do
                        step ()

                    let before = GC.GetAllocatedBytesForCurrentThread()

                    for _ in 1..100 do
                        step ()

                    let perStep = float (GC.GetAllocatedBytesForCurrentThread() - before) / 100.0
                    Expect.isLessThan perStep 1.0 "bytes a warmed step allocates")

            testCase
                "the fused step takes every built-in layer and loss, a Softmax layer and the binary cross-entropy too"
                (fun () ->
                    for objective in objectives do
                        for variant in 0..6 do
                            let model =
                                Sequential.create<float> (Random 1) 3 (network objective [| 2; 3; 4; 2; variant |])

                            Expect.isTrue
                                (FusedTrainer<float>.Supports(model, objective))
                                $"{objective}, variant {variant}")
        ]
