namespace Hybrid.Core

open MathNet.Numerics.LinearAlgebra

/// Elementary functions applied to every element. Each states f and f′; the gradient is g ⊙ f′(x).
[<RequireQualifiedAccess>]
module Pointwise =

    /// The op f applied elementwise, with derivative f′ written in terms of the input x and the
    /// output y = f(x) (whichever is cheaper), so d/dx = g ⊙ f′(x, y).
    let unary (name: string) (f: 'T -> 'T) (df: 'T -> 'T -> 'T) (x: Node<'T>) =
        let y = Tensor.map f x.Value

        Graph.opWith
            name
            [| x |]
            y
            (fun g _ -> g.PointwiseMultiply(Tensor.map2 df x.Value y))
            (fun r ->
                let xs, ys = Tensor.data x.Value, Tensor.data r

                for k in 0 .. ys.Length - 1 do
                    ys[k] <- f xs[k])
            (fun g _ into ->
                let gs, xs, ys, d: 'T[] * 'T[] * 'T[] * 'T[] =
                    Tensor.data g, Tensor.data x.Value, Tensor.data y, Tensor.data into

                for k in 0 .. d.Length - 1 do
                    d[k] <- gs[k] * df xs[k] ys[k])

    /// eˣ. f′ = eˣ = y.
    let exp (x: Node<'T>) =
        unary "exp" (fun v -> 'T.Exp v) (fun _ y -> y) x

    /// ln x. f′ = 1/x.
    let log (x: Node<'T>) =
        unary "log" (fun v -> 'T.Log v) (fun v _ -> 'T.One / v) x

    /// xᵖ for a constant exponent p. f′ = p·xᵖ⁻¹.
    let pow (p: float) (x: Node<'T>) =
        let pT = Tensor.ofFloat<'T> p
        let pm1 = Tensor.ofFloat<'T>(p - 1.0)
        unary $"pow {p}" (fun v -> 'T.Pow(v, pT)) (fun v _ -> pT * 'T.Pow(v, pm1)) x

    /// √x. f′ = 1 / (2√x) = 1 / (2y).
    let sqrt (x: Node<'T>) =
        let two = Tensor.ofFloat<'T> 2.0
        unary "sqrt" (fun v -> 'T.Sqrt v) (fun _ y -> 'T.One / (two * y)) x

    /// |x|. f′ = sign x (0 at 0, by convention, as in PyTorch).
    let abs (x: Node<'T>) =
        unary "abs" (fun v -> 'T.Abs v) (fun v _ -> Tensor.ofFloat (float ('T.Sign v))) x

    /// x clamped to [lo, hi]. f′ = 1 strictly inside, 0 outside (and at the bounds' far side).
    let clip (lo: float) (hi: float) (x: Node<'T>) =
        if lo > hi then
            invalidArg "lo" $"clip: the lower bound {lo} exceeds the upper bound {hi}"

        let l, h = Tensor.ofFloat<'T> lo, Tensor.ofFloat<'T> hi

        unary
            $"clip [{lo}, {hi}]"
            (fun v -> 'T.Clamp(v, l, h))
            (fun v _ ->
                if Tensor.greaterOrEqual v l && Tensor.greaterOrEqual h v then
                    'T.One
                else
                    'T.Zero)
            x
