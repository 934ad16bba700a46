namespace Hybrid.Core

open System

/// A user-defined layer, described once as a graph function of its input and its own named parameters: both
/// training paths, evaluation and gradient checks run this one Forward. Saved and loaded by Name (the façade keeps a
/// registry of them).
[<AbstractClass>]
type GraphLayerRule() =
    /// The layer's name, as saved in a model file.
    abstract Name: string

    /// The width of the layer's output for an input of the given width.
    abstract Outputs: inputs: int -> int

    /// The layer's parameters for an input of the given width: name, rows, columns and initializer of each.
    abstract Parameters: inputs: int -> (string * int * int * Initializer)[]

    /// The layer's output for a batch x (one sample per row), given its parameters in the order Parameters lists them.
    /// The fused step records the graph this builds on its first step at each batch size and replays it after (Replay),
    /// so, as for torch.jit.trace, it must build the same graph whatever the values of x and the parameters: no branch
    /// on a value, no constant made from one. The first replay is checked against a fresh build and a layer that fails
    /// the check, or uses an op made with Graph.op (no in-place form; Graph.opWith gives one), is rebuilt every step.
    abstract Forward<'T
        when 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'T :> Numerics.IFloatingPointIeee754<'T>> :
        x: Node<'T> * parameters: Node<'T>[] -> Node<'T>

    /// <inheritdoc/>
    override r.ToString() = r.Name

/// A graph layer from functions, one forward per element type (float32 for training, float64 for gradient checks):
/// what the C# façade makes of a user's CustomLayer.
type FunctionGraphLayer
    (
        name: string,
        outputs: Func<int, int>,
        parameters: Func<int, (string * int * int * Initializer)[]>,
        forward32: Func<Node<float32>, Node<float32>[], Node<float32>>,
        forward64: Func<Node<float>, Node<float>[], Node<float>>
    ) =
    inherit GraphLayerRule()
    /// <inheritdoc/>
    override _.Name = name
    /// <inheritdoc/>
    override _.Outputs inputs = outputs.Invoke inputs
    /// <inheritdoc/>
    override _.Parameters inputs = parameters.Invoke inputs

    /// <inheritdoc/>
    override _.Forward<'T
        when 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'T :> Numerics.IFloatingPointIeee754<'T>>
        (x: Node<'T>, ps: Node<'T>[])
        : Node<'T> =
        match box x, box ps with
        | (:? Node<float32> as x), (:? (Node<float32>[]) as ps) -> forward32.Invoke(x, ps) |> unbox
        | (:? Node<float> as x), (:? (Node<float>[]) as ps) -> forward64.Invoke(x, ps) |> unbox
        | _ -> invalidOp $"the layer {name} is defined for float32 and float64 only, not {typeof<'T>.Name}"

/// A layer as a builder asks for it and a saved model records it.
[<RequireQualifiedAccess>]
type LayerSpec =
    /// A fully connected layer y = x·Wᵀ + b with W of shape [outputs, inputs] (PyTorch's layout).
    | Dense of outputs: int * weights: Initializer * bias: Initializer
    /// An elementwise (or, for softmax, row-wise) nonlinearity.
    | Activation of ActivationFunction
    /// Inverted dropout: in training each input is zeroed with probability rate and the rest
    /// scaled by 1 / (1 − rate); in evaluation the identity.
    | Dropout of rate: float
    /// A user-defined layer: a graph function of its input and its named parameters.
    | Graph of rule: GraphLayerRule

/// Whether a forward pass trains (dropout active) or evaluates (dropout off).
type Mode =
    /// Training: dropout zeroes inputs at random.
    | Training
    /// Evaluation: dropout is the identity.
    | Evaluation

/// A forward pass's mode and the randomness dropout draws from.
type Pass = { Mode: Mode; Random: Random }

/// A built layer, holding its parameters as graph variables.
type Layer<'T when 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'T :> Numerics.IFloatingPointIeee754<'T>>
    =
    /// A dense layer's weight [outputs, inputs] and bias [1, outputs] as graph variables.
    | DenseLayer of weight: Node<'T> * bias: Node<'T>
    /// An activation, which has no parameters.
    | ActivationLayer of ActivationFunction
    /// Dropout at the given rate, which has no parameters.
    | DropoutLayer of rate: float
    /// A user-defined layer and its parameters (in the order its rule lists them) as graph variables.
    | GraphLayer of rule: GraphLayerRule * parameters: Node<'T>[]

/// Applying layers.
[<RequireQualifiedAccess>]
module Layer =

    /// The op of an activation: its rule's kernels on the graph.
    let activate (kind: ActivationFunction) (x: Node<'T>) =
        Activations.apply (ActivationFunction.rule kind) x

    /// Fills mask (rows × cols, column-major) with an inverted-dropout mask, 0 with probability rate, else 1 / (1 − rate),
    /// and, when x and y are not empty, y = x ⊙ mask in the same pass (the fused step's forward). Both training paths draw
    /// their masks here. One seed is taken from rng per mask; the draws are SplitMix64 over it, counter-based (the draw
    /// for a pair of elements is the mix of seed + (index + 1)·γ), so each element's draw depends only on its row and
    /// column: elements (r, 2j) and (r, 2j + 1) share one 64-bit draw, each keeping its element when its 32-bit half is at
    /// least rate·2³² (a Random draw per element cost a dropout layer a third of an epoch; one mix per element, a sixth).
    /// Mutation inside the hot loop.
    [<OptimizedFromFirstCall>]
    let fillDropoutMaskWith (rate: float) (rng: Random) (rows: int) (cols: int) (mask: 'T[]) (x: 'T[]) (y: 'T[]) =
        let keep = Tensor.ofFloat<'T>(1.0 / (1.0 - rate))
        let seed = uint64 (rng.NextInt64())
        // u = half / 2³² ≥ rate exactly when half ≥ ⌈rate·2³²⌉.
        let threshold = uint64 (Math.Ceiling(rate * 4294967296.0))
        let pairs = (cols + 1) / 2
        let gamma = 0x9E3779B97F4A7C15UL
        let fuse = x.Length > 0

        for j in 0..2 .. cols - 1 do
            let first = j * rows
            let second = if j + 1 < cols then first + rows else -1
            // The counter of pair (r, j/2) is r·pairs + j/2 + 1: one row down adds pairs·γ.
            let mutable state = seed + uint64 (j / 2 + 1) * gamma
            let down = uint64 pairs * gamma

            for r in 0 .. rows - 1 do
                let mutable z = state
                state <- state + down
                z <- (z ^^^ (z >>> 30)) * 0xBF58476D1CE4E5B9UL
                z <- (z ^^^ (z >>> 27)) * 0x94D049BB133111EBUL
                z <- z ^^^ (z >>> 31)
                // Branchless: (half − threshold) wraps to a set top bit exactly when the element is dropped (a branch
                // on a random bit mispredicts a fifth of the time at rate 0.2).
                let a =
                    keep * 'T.CreateTruncating(1 - int (((z &&& 0xFFFFFFFFUL) - threshold) >>> 63))

                mask[first + r] <- a

                if fuse then
                    y[first + r] <- x[first + r] * a

                if second >= 0 then
                    let b = keep * 'T.CreateTruncating(1 - int (((z >>> 32) - threshold) >>> 63))
                    mask[second + r] <- b

                    if fuse then
                        y[second + r] <- x[second + r] * b

    /// fillDropoutMaskWith without the product: the mask alone.
    let fillDropoutMask (rate: float) (rng: Random) (rows: int) (cols: int) (mask: 'T[]) =
        fillDropoutMaskWith rate rng rows cols mask (Array.Empty<'T>()) (Array.Empty<'T>())

    /// The inverted-dropout mask for a batch: 0 with probability rate, else 1 / (1 − rate) (fillDropoutMask).
    let dropoutMask (rate: float) (rng: Random) (s: Shape) : MathNet.Numerics.LinearAlgebra.Matrix<'T> =
        let mask = Array.zeroCreate<'T> s.Count
        fillDropoutMask rate rng s.Rows s.Cols mask
        MathNet.Numerics.LinearAlgebra.Matrix<'T>.Build.Dense(s.Rows, s.Cols, mask)

    /// One layer's forward pass on a batch x (one sample per row).
    let forward (pass: Pass) (layer: Layer<'T>) (x: Node<'T>) =
        match layer with
        | DenseLayer(w, b) -> Linalg.addRowVector (Linalg.matmulWith false true x w) b
        | ActivationLayer kind -> activate kind x
        | DropoutLayer rate when pass.Mode = Training && rate > 0.0 ->
            Arith.mul x (Graph.constant (dropoutMask rate pass.Random x.Shape))
        | DropoutLayer _ -> x
        | GraphLayer(rule, parameters) -> rule.Forward(x, parameters)
