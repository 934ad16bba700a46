namespace Hybrid.Core

open System

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

/// Applying layers.
[<RequireQualifiedAccess>]
module Layer =

    /// The op of an activation: its rule's kernels on the graph.
    let activate (kind: ActivationFunction) (x: Node<'T>) =
        Activations.apply (ActivationFunction.rule kind) x

    /// The inverted-dropout mask for a batch: 0 with probability rate, else 1 / (1 − rate).
    let dropoutMask (rate: float) (rng: Random) (s: Shape) : MathNet.Numerics.LinearAlgebra.Matrix<'T> =
        let keep = Tensor.ofFloat<'T>(1.0 / (1.0 - rate))
        // Drawn row by row, so the same seed gives the same mask whatever the storage order.
        let draws = Array2D.init s.Rows s.Cols (fun _ _ -> rng.NextDouble() >= rate)

        MathNet.Numerics.LinearAlgebra.Matrix<'T>.Build.Dense(
            s.Rows,
            s.Cols,
            fun i j -> if draws[i, j] then keep else 'T.Zero
        )

    /// One layer's forward pass on a batch x (one sample per row).
    let forward (pass: Pass) (layer: Layer<'T>) (x: Node<'T>) =
        match layer with
        | DenseLayer(w, b) -> Linalg.addRowVector (Linalg.matmulWith false true x w) b
        | ActivationLayer kind -> activate kind x
        | DropoutLayer rate when pass.Mode = Training && rate > 0.0 ->
            Arith.mul x (Graph.constant (dropoutMask rate pass.Random x.Shape))
        | DropoutLayer _ -> x
