namespace Hybrid.Core

open System
open MathNet.Numerics.LinearAlgebra

/// How a weight matrix gets its first values. fanIn and fanOut are the layer's inputs and outputs.
type Initializer =
    /// Every weight 0 (the usual choice for biases).
    | Zeros
    /// U(−a, a) with a = √(6 / (fanIn + fanOut)): Glorot & Bengio (2010), "Xavier uniform".
    | GlorotUniform
    /// N(0, σ²) with σ = √(2 / (fanIn + fanOut)): "Xavier normal".
    | GlorotNormal
    /// U(−a, a) with a = √(6 / fanIn): He et al. (2015), for ReLU layers.
    | HeUniform
    /// N(0, σ²) with σ = √(2 / fanIn).
    | HeNormal
    /// N(0, σ²) with σ = √(1 / fanIn): LeCun (1998), for SELU and tanh.
    | LeCunNormal

/// Draws initial weights. All randomness comes from the Random passed in, so one seed fixes a run.
[<RequireQualifiedAccess>]
module Init =

    /// A standard normal sample by the Box–Muller transform (two uniforms, one normal).
    let standardNormal (rng: Random) =
        let u1 = 1.0 - rng.NextDouble() // in (0, 1], so the log is finite
        let u2 = rng.NextDouble()
        sqrt (-2.0 * log u1) * cos (2.0 * Math.PI * u2)

    /// A rows×cols matrix drawn by the initializer; fanIn and fanOut as the layer sees them.
    /// Elements are drawn row by row, so a PyTorch-layout weight [out, in] fills out-major.
    let create<'T
        when 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'T :> Numerics.IFloatingPointIeee754<'T>>
        (init: Initializer)
        (rng: Random)
        (fanIn: int)
        (fanOut: int)
        (rows: int)
        (cols: int)
        : Matrix<'T> =
        let uniform a =
            fun () -> (2.0 * rng.NextDouble() - 1.0) * a

        let normal sigma = fun () -> standardNormal rng * sigma

        let draw =
            match init with
            | Zeros -> fun () -> 0.0
            | GlorotUniform -> uniform (sqrt (6.0 / float (fanIn + fanOut)))
            | GlorotNormal -> normal (sqrt (2.0 / float (fanIn + fanOut)))
            | HeUniform -> uniform (sqrt (6.0 / float fanIn))
            | HeNormal -> normal (sqrt (2.0 / float fanIn))
            | LeCunNormal -> normal (sqrt (1.0 / float fanIn))

        let values = Array2D.init rows cols (fun _ _ -> draw ())
        Matrix<'T>.Build.Dense(rows, cols, fun i j -> Tensor.ofFloat values[i, j])
