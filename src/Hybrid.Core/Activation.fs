namespace Hybrid.Core

open System
open System.Numerics
open System.Numerics.Tensors

/// One activation, described once: its forward and its derivative as kernels over a column-major block of
/// m samples × n features. The graph's op (Activations), the fused step (FusedTrainer) and every provider's
/// kernels run these same two methods, so both training paths compute the same numbers and adding an
/// activation touches this file only (plus its public name in the façade).
[<AbstractClass>]
/// The Activation loss as an ObjectiveRule, running the kernel above.
type ActivationRule() =
    /// The name shown in summaries and graph drawings.
    abstract Name: string

    /// y = f(x) for an m×n block stored column-major (elementwise rules ignore the shape).
    abstract Forward<'T
        when 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'T :> IFloatingPointIeee754<'T>> :
        m: int * n: int * x: ReadOnlySpan<'T> * y: Span<'T> -> unit

    /// dx = dL/dx given x, y = f(x) and dy = dL/dy (dx may not alias dy unless the rule says so).
    abstract Backward<'T
        when 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'T :> IFloatingPointIeee754<'T>> :
        m: int * n: int * x: ReadOnlySpan<'T> * y: ReadOnlySpan<'T> * dy: ReadOnlySpan<'T> * dx: Span<'T> -> unit

    /// True for elementwise rules (f applied to each element alone); false for row-wise ones such as softmax.
    abstract Elementwise: bool
    /// <inheritdoc/>
    default _.Elementwise = true

    /// True when the rule may run in place: Forward may write y over x, and Backward, handed y in place of x, gives the
    /// same dx and may write it over dy (ReLU: x > 0 exactly where y > 0). The fused step then keeps one buffer for a
    /// dense layer's output and the activation's, and one for their gradients: less memory to stream through.
    abstract InPlace: bool
    /// <inheritdoc/>
    default _.InPlace = false

    /// <inheritdoc/>
    override r.ToString() = r.Name

/// An elementwise activation given by its scalar f(x) and f′(x, y) (y = f(x)): the forward and backward kernels are
/// tight loops over the block, one call per element and nothing allocated. User-defined activations are these.
[<AbstractClass>]
/// The Elementwise loss as an ObjectiveRule, running the kernel above.
type ElementwiseRule() =
    inherit ActivationRule()

    /// f(x).
    abstract Value<'T when 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'T :> IFloatingPointIeee754<'T>> :
        x: 'T -> 'T

    /// f′(x), given x and y = f(x).
    abstract Slope<'T when 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'T :> IFloatingPointIeee754<'T>> :
        x: 'T * y: 'T -> 'T

    /// <inheritdoc/>
    override r.Forward<'T
        when 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'T :> IFloatingPointIeee754<'T>>
        (m: int, n: int, x: ReadOnlySpan<'T>, y: Span<'T>)
        =
        for i in 0 .. m * n - 1 do
            y[i] <- r.Value x[i]

    /// <inheritdoc/>
    override r.Backward<'T
        when 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'T :> IFloatingPointIeee754<'T>>
        (m: int, n: int, x: ReadOnlySpan<'T>, y: ReadOnlySpan<'T>, dy: ReadOnlySpan<'T>, dx: Span<'T>)
        =
        for i in 0 .. m * n - 1 do
            let slope = r.Slope(x[i], y[i])
            dx[i] <- dy[i] * slope

/// The built-in rules, each vectorised with TensorPrimitives or Vector&lt;T&gt;; mutation is confined to their loops.
module ActivationRules =

    /// A span as read-only (F# applies no implicit conversion to a generic method's arguments).
    let ro (s: Span<'T>) : ReadOnlySpan<'T> = Span<'T>.op_Implicit s

    /// The logistic function, 1 / (1 + e⁻ˣ), computed without overflow for any x.
    let logistic<'T when 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'T :> IFloatingPointIeee754<'T>>
        (v: 'T)
        =
        if Tensor.greaterOrEqual v 'T.Zero then
            'T.One / ('T.One + 'T.Exp(-v))
        else
            let e = 'T.Exp v
            e / ('T.One + e)

    /// dx = dy where x > 0, else slope·dy (slope 0: ReLU; α: leaky ReLU), a vector at a time.
    [<OptimizedFromFirstCall>]
    let private kinked<'T
        when 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'T :> IFloatingPointIeee754<'T>>
        (slope: 'T)
        (zeroBelow: bool)
        (x: ReadOnlySpan<'T>)
        (v: ReadOnlySpan<'T>)
        (out: Span<'T>)
        =
        // out = v where x > 0, else slope·v (forward: v = x; backward: v = dy).
        let w = Vector<'T>.Count
        let a = Vector<'T>(slope)
        let mutable i = 0

        if Vector.IsHardwareAccelerated then
            while i <= x.Length - w do
                let xv = Vector<'T>(x.Slice i)
                let vv = Vector<'T>(v.Slice i)

                let low =
                    if zeroBelow then
                        Vector<'T>.Zero
                    else
                        Vector.Multiply(a, vv)

                Vector.ConditionalSelect(Vector.GreaterThan(xv, Vector<'T>.Zero), vv, low).CopyTo(out.Slice i)
                i <- i + w

        while i < x.Length do
            out[i] <-
                if Tensor.greater x[i] 'T.Zero then v[i]
                elif zeroBelow then 'T.Zero
                else slope * v[i]

            i <- i + 1

    /// y = max(x, 0) as IEEE 754 maximum (TensorPrimitives.Max's result: NaN stays NaN, −0 becomes +0), a vector at
    /// a time. Its own loop rather than TensorPrimitives.Max: a generic method of another assembly starts unoptimised
    /// in every application (tiered compilation), for the first few hundred batches, where this one, marked, does not.
    [<OptimizedFromFirstCall>]
    let private rectify<'T
        when 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'T :> IFloatingPointIeee754<'T>>
        (x: ReadOnlySpan<'T>)
        (y: Span<'T>)
        =
        let w = Vector<'T>.Count
        let mutable i = 0

        if Vector.IsHardwareAccelerated then
            while i <= x.Length - w do
                let xv = Vector<'T>(x.Slice i)
                // x where x > 0 or x is NaN (x ≠ x), else +0.
                let keep =
                    Vector.BitwiseOr(
                        Vector.GreaterThan(xv, Vector<'T>.Zero),
                        Vector.OnesComplement(Vector.Equals(xv, xv))
                    )

                Vector.ConditionalSelect(keep, xv, Vector<'T>.Zero).CopyTo(y.Slice i)
                i <- i + w

        while i < x.Length do
            let v = x[i]

            y[i] <-
                if Tensor.greater v 'T.Zero || 'T.IsNaN v then
                    v
                else
                    'T.Zero

            i <- i + 1

    /// max(0, x). f′ = 1 for x > 0, else 0.
    type ReLURule() =
        inherit ActivationRule()
        /// <inheritdoc/>
        override _.Name = "relu"
        /// <inheritdoc/>
        override _.InPlace = true

        /// <inheritdoc/>
        [<OptimizedFromFirstCall>]
        override _.Forward<'T
            when 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'T :> IFloatingPointIeee754<'T>>
            (m: int, n: int, x: ReadOnlySpan<'T>, y: Span<'T>)
            =
            rectify (x.Slice(0, m * n)) y

        /// <inheritdoc/>
        [<OptimizedFromFirstCall>]
        override _.Backward<'T
            when 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'T :> IFloatingPointIeee754<'T>>
            (m: int, n: int, x: ReadOnlySpan<'T>, _y: ReadOnlySpan<'T>, dy: ReadOnlySpan<'T>, dx: Span<'T>)
            =
            kinked 'T.Zero true (x.Slice(0, m * n)) dy dx

    /// x for x > 0, αx otherwise. f′ = 1 or α.
    type LeakyReLURule(alpha: float) =
        inherit ActivationRule()
        /// <inheritdoc/>
        override _.Name = $"leakyRelu {alpha}"
        /// <inheritdoc/>
        override _.InPlace = alpha >= 0.0 // y > 0 exactly where x > 0 (NaN stays NaN)

        /// <inheritdoc/>
        [<OptimizedFromFirstCall>]
        override _.Forward<'T
            when 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'T :> IFloatingPointIeee754<'T>>
            (m: int, n: int, x: ReadOnlySpan<'T>, y: Span<'T>)
            =
            kinked (Tensor.ofFloat<'T> alpha) false (x.Slice(0, m * n)) x y

        /// <inheritdoc/>
        [<OptimizedFromFirstCall>]
        override _.Backward<'T
            when 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'T :> IFloatingPointIeee754<'T>>
            (m: int, n: int, x: ReadOnlySpan<'T>, _y: ReadOnlySpan<'T>, dy: ReadOnlySpan<'T>, dx: Span<'T>)
            =
            kinked (Tensor.ofFloat<'T> alpha) false (x.Slice(0, m * n)) dy dx

    /// σ(x) = 1 / (1 + e⁻ˣ). σ′ = y(1 − y).
    type SigmoidRule() =
        inherit ActivationRule()
        /// <inheritdoc/>
        override _.Name = "sigmoid"

        /// <inheritdoc/>
        [<OptimizedFromFirstCall>]
        override _.Forward<'T
            when 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'T :> IFloatingPointIeee754<'T>>
            (m: int, n: int, x: ReadOnlySpan<'T>, y: Span<'T>)
            =
            TensorPrimitives.Sigmoid(x.Slice(0, m * n), y)

        /// <inheritdoc/>
        [<OptimizedFromFirstCall>]
        override _.Backward<'T
            when 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'T :> IFloatingPointIeee754<'T>>
            (m: int, n: int, _x: ReadOnlySpan<'T>, y: ReadOnlySpan<'T>, dy: ReadOnlySpan<'T>, dx: Span<'T>)
            =
            let y = y.Slice(0, m * n)
            // dx = (1 − y) ⊙ y ⊙ dy, in three vectorised passes over dx.
            TensorPrimitives.Subtract('T.One, y, dx)
            TensorPrimitives.Multiply(ro dx, y, dx)
            TensorPrimitives.Multiply(ro dx, dy, dx)

    /// tanh x. f′ = 1 − y².
    type TanhRule() =
        inherit ActivationRule()
        /// <inheritdoc/>
        override _.Name = "tanh"

        /// <inheritdoc/>
        [<OptimizedFromFirstCall>]
        override _.Forward<'T
            when 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'T :> IFloatingPointIeee754<'T>>
            (m: int, n: int, x: ReadOnlySpan<'T>, y: Span<'T>)
            =
            TensorPrimitives.Tanh(x.Slice(0, m * n), y)

        /// <inheritdoc/>
        [<OptimizedFromFirstCall>]
        override _.Backward<'T
            when 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'T :> IFloatingPointIeee754<'T>>
            (m: int, n: int, _x: ReadOnlySpan<'T>, y: ReadOnlySpan<'T>, dy: ReadOnlySpan<'T>, dx: Span<'T>)
            =
            let y = y.Slice(0, m * n)
            TensorPrimitives.Multiply(y, y, dx)
            TensorPrimitives.Subtract('T.One, ro dx, dx)
            TensorPrimitives.Multiply(ro dx, dy, dx)

    /// softplus x = ln(1 + eˣ), computed as max(x, 0) + ln(1 + e^−|x|) so that it never overflows. f′ = σ(x).
    type SoftplusRule() =
        inherit ActivationRule()
        /// <inheritdoc/>
        override _.Name = "softplus"

        /// <inheritdoc/>
        [<OptimizedFromFirstCall>]
        override _.Forward<'T
            when 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'T :> IFloatingPointIeee754<'T>>
            (m: int, n: int, x: ReadOnlySpan<'T>, y: Span<'T>)
            =
            let x = x.Slice(0, m * n)
            let y = y.Slice(0, m * n)
            TensorPrimitives.Abs(x, y)
            TensorPrimitives.Negate(ro y, y)
            TensorPrimitives.Exp(ro y, y)
            TensorPrimitives.LogP1(ro y, y)
            let w = Vector<'T>.Count
            let mutable i = 0

            if Vector.IsHardwareAccelerated then
                while i <= x.Length - w do
                    Vector
                        .Add(Vector.Max(Vector<'T>(x.Slice i), Vector<'T>.Zero), Vector<'T>(y.Slice i))
                        .CopyTo(y.Slice i)

                    i <- i + w

            while i < x.Length do
                y[i] <- 'T.Max(x[i], 'T.Zero) + y[i]
                i <- i + 1

        /// <inheritdoc/>
        [<OptimizedFromFirstCall>]
        override _.Backward<'T
            when 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'T :> IFloatingPointIeee754<'T>>
            (m: int, n: int, x: ReadOnlySpan<'T>, _y: ReadOnlySpan<'T>, dy: ReadOnlySpan<'T>, dx: Span<'T>)
            =
            TensorPrimitives.Sigmoid(x.Slice(0, m * n), dx)
            TensorPrimitives.Multiply(ro (dx.Slice(0, m * n)), dy.Slice(0, m * n), dx)

    /// SiLU (Swish), x·σ(x). f′ = σ(x)·(1 − y) + y.
    type SiLURule() =
        inherit ActivationRule()
        /// <inheritdoc/>
        override _.Name = "silu"

        /// <inheritdoc/>
        [<OptimizedFromFirstCall>]
        override _.Forward<'T
            when 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'T :> IFloatingPointIeee754<'T>>
            (m: int, n: int, x: ReadOnlySpan<'T>, y: Span<'T>)
            =
            let x = x.Slice(0, m * n)
            TensorPrimitives.Sigmoid(x, y)
            TensorPrimitives.Multiply(ro (y.Slice(0, m * n)), x, y)

        /// <inheritdoc/>
        [<OptimizedFromFirstCall>]
        override _.Backward<'T
            when 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'T :> IFloatingPointIeee754<'T>>
            (m: int, n: int, x: ReadOnlySpan<'T>, y: ReadOnlySpan<'T>, dy: ReadOnlySpan<'T>, dx: Span<'T>)
            =
            let count = m * n
            // dx = σ(x) first, then dx ← dy ⊙ (σ(1 − y) + y), a vector at a time.
            TensorPrimitives.Sigmoid(x.Slice(0, count), dx)
            let w = Vector<'T>.Count
            let mutable i = 0

            if Vector.IsHardwareAccelerated then
                while i <= count - w do
                    let s = Vector<'T>(dx.Slice i)
                    let yv = Vector<'T>(y.Slice i)
                    let slope = Vector.Add(Vector.Multiply(s, Vector.Subtract(Vector<'T>.One, yv)), yv)
                    Vector.Multiply(Vector<'T>(dy.Slice i), slope).CopyTo(dx.Slice i)
                    i <- i + w

            while i < count do
                let s = dx[i]
                let rest = 'T.One - y[i]
                let scaled = s * rest
                let slope = scaled + y[i]
                dx[i] <- dy[i] * slope
                i <- i + 1

    /// softmax of each row: yᵢ = e^(zᵢ − max) / Σⱼ e^(zⱼ − max), so it stays finite. d/dz = y ⊙ (g − Σⱼ gⱼyⱼ), row by
    /// row. Row-wise over column-major storage: element (i, j) is at j·m + i.
    type SoftmaxRule() =
        inherit ActivationRule()
        /// <inheritdoc/>
        override _.Name = "softmax"
        /// <inheritdoc/>
        override _.Elementwise = false

        /// <inheritdoc/>
        [<OptimizedFromFirstCall>]
        override _.Forward<'T
            when 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'T :> IFloatingPointIeee754<'T>>
            (m: int, n: int, x: ReadOnlySpan<'T>, y: Span<'T>)
            =
            for i in 0 .. m - 1 do
                let mutable top = x[i]

                for j in 1 .. n - 1 do
                    top <- 'T.Max(top, x[j * m + i])

                let mutable sum = 'T.Zero

                for j in 0 .. n - 1 do
                    let e = 'T.Exp(x[j * m + i] - top)
                    y[j * m + i] <- e
                    sum <- sum + e

                for j in 0 .. n - 1 do
                    y[j * m + i] <- y[j * m + i] / sum

        /// <inheritdoc/>
        [<OptimizedFromFirstCall>]
        override _.Backward<'T
            when 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'T :> IFloatingPointIeee754<'T>>
            (m: int, n: int, _x: ReadOnlySpan<'T>, y: ReadOnlySpan<'T>, dy: ReadOnlySpan<'T>, dx: Span<'T>)
            =
            for i in 0 .. m - 1 do
                let mutable dot = 'T.Zero

                for j in 0 .. n - 1 do
                    dot <- dot + dy[j * m + i] * y[j * m + i]

                for j in 0 .. n - 1 do
                    dx[j * m + i] <- y[j * m + i] * (dy[j * m + i] - dot)

    /// An elementwise rule from scalar functions in float64 (a user-defined activation): f(x) and f′(x, y), applied to
    /// any element type by widening to float64 and rounding back.
    type FunctionRule(name: string, f: Func<float, float>, df: Func<float, float, float>) =
        inherit ElementwiseRule()
        /// <inheritdoc/>
        override _.Name = name

        /// <inheritdoc/>
        override _.Value<'T
            when 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'T :> IFloatingPointIeee754<'T>>
            (x: 'T)
            =
            'T.CreateTruncating(f.Invoke(Double.CreateTruncating x))

        /// <inheritdoc/>
        override _.Slope<'T
            when 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'T :> IFloatingPointIeee754<'T>>
            (x: 'T, y: 'T)
            =
            'T.CreateTruncating(df.Invoke(Double.CreateTruncating x, Double.CreateTruncating y))

        // The loops call the delegates directly: a generic virtual call per element (Value, Slope) costs more than
        // the user's function.

        /// <inheritdoc/>
        [<OptimizedFromFirstCall>]
        override _.Forward<'T
            when 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'T :> IFloatingPointIeee754<'T>>
            (m: int, n: int, x: ReadOnlySpan<'T>, y: Span<'T>)
            =
            for i in 0 .. m * n - 1 do
                y[i] <- 'T.CreateTruncating(f.Invoke(Double.CreateTruncating x[i]))

        /// <inheritdoc/>
        [<OptimizedFromFirstCall>]
        override _.Backward<'T
            when 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'T :> IFloatingPointIeee754<'T>>
            (m: int, n: int, x: ReadOnlySpan<'T>, y: ReadOnlySpan<'T>, dy: ReadOnlySpan<'T>, dx: Span<'T>)
            =
            for i in 0 .. m * n - 1 do
                let slope =
                    'T.CreateTruncating(df.Invoke(Double.CreateTruncating x[i], Double.CreateTruncating y[i]))

                dx[i] <- dy[i] * slope

    /// The shared ReLURule.
    let relu = ReLURule() :> ActivationRule
    /// The shared SigmoidRule.
    let sigmoid = SigmoidRule() :> ActivationRule
    /// The shared TanhRule.
    let tanh = TanhRule() :> ActivationRule
    /// The shared SoftplusRule.
    let softplus = SoftplusRule() :> ActivationRule
    /// The shared SoftmaxRule.
    let softmax = SoftmaxRule() :> ActivationRule
    /// The shared SiLURule.
    let silu = SiLURule() :> ActivationRule

/// The nonlinearity of an activation layer.
[<RequireQualifiedAccess>]
type ActivationFunction =
    /// σ(x) = 1 / (1 + e^(−x)), elementwise.
    | Sigmoid
    /// tanh x, elementwise.
    | Tanh
    /// max(0, x), elementwise.
    | ReLU
    /// x for x > 0, alpha·x otherwise, elementwise.
    | LeakyReLU of alpha: float
    /// log(1 + e^x), elementwise.
    | Softplus
    /// e^(x_j) / Σ_k e^(x_k) along each row.
    | Softmax
    /// SiLU (Swish), x·σ(x), elementwise.
    | SiLU
    /// A user-defined activation, saved and loaded by its name (the façade's registry maps names to rules).
    | Custom of rule: ActivationRule

/// Each activation's one description.
[<RequireQualifiedAccess>]
module ActivationFunction =

    /// The rule that both training paths run for an activation: the only place that maps the cases to their math.
    let rule (kind: ActivationFunction) : ActivationRule =
        match kind with
        | ActivationFunction.ReLU -> ActivationRules.relu
        | ActivationFunction.Sigmoid -> ActivationRules.sigmoid
        | ActivationFunction.Tanh -> ActivationRules.tanh
        | ActivationFunction.Softplus -> ActivationRules.softplus
        | ActivationFunction.Softmax -> ActivationRules.softmax
        | ActivationFunction.SiLU -> ActivationRules.silu
        | ActivationFunction.LeakyReLU alpha -> ActivationRules.LeakyReLURule alpha
        | ActivationFunction.Custom r -> r
