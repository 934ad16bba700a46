namespace Hybrid.Core

open System
open System.Numerics
open MathNet.Numerics.Providers.LinearAlgebra

/// Memory that kernels compute in. A CPU provider's buffer is a plain array (possibly a MathNet matrix's own
/// storage, shared without a copy); a device provider's would live on the device, and only Upload and
/// Download would cross over, so a training step never copies per operation.
[<AbstractClass>]
type Buffer<'T>(length: int) =
    /// Number of elements.
    member _.Length = length
    /// Copies host values into the buffer.
    abstract Upload: source: ReadOnlySpan<'T> -> unit
    /// Copies the buffer's values to the host.
    abstract Download: destination: Span<'T> -> unit

/// A buffer over a host array.
type HostBuffer<'T>(data: 'T[]) =
    inherit Buffer<'T>(data.Length)
    /// The array itself.
    member _.Data = data
    /// Copies source into the array.
    override _.Upload source = source.CopyTo(Span<'T>(data))

    /// Copies the array into destination.
    [<OptimizedFromFirstCall>]
    override _.Download destination =
        ReadOnlySpan<'T>(data).CopyTo destination

/// The operations of a training step, over flat column-major buffers: what a matrix provider implements so
/// that the whole hot path (products, bias, activations, loss, reductions, optimizer updates) runs on it.
/// m×n matrices are stored column-major with leading dimension m.
type IKernels<'T when 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'T :> IFloatingPointIeee754<'T>> =
    /// The provider's name.
    abstract Name: string
    /// A zeroed buffer of length elements.
    abstract Allocate: length: int -> Buffer<'T>
    /// A buffer over host storage (on a CPU provider the same memory, without a copy).
    abstract Wrap: data: 'T[] -> Buffer<'T>

    /// C (m×n) = alpha·op(A)·op(B) + beta·C, op(A) m×k, op(B) k×n; A and B stored with no padding.
    abstract Gemm:
        transA: bool *
        transB: bool *
        m: int *
        n: int *
        k: int *
        alpha: 'T *
        a: Buffer<'T> *
        b: Buffer<'T> *
        beta: 'T *
        c: Buffer<'T> ->
            unit

    /// C[i, j] += bias[j] for an m×n C.
    abstract AddRowVector: m: int * n: int * bias: Buffer<'T> * c: Buffer<'T> -> unit
    /// into[j] = Σᵢ A[i, j] for an m×n A (a bias gradient).
    abstract ColumnSums: m: int * n: int * a: Buffer<'T> * into: Buffer<'T> -> unit
    /// y = f(x) for an m×n block (the activation's rule: ActivationRule.Forward).
    abstract Activate: rule: ActivationRule * m: int * n: int * x: Buffer<'T> * y: Buffer<'T> -> unit

    /// dx = dL/dx given x, y = f(x) and dy (the activation's rule: ActivationRule.Backward).
    abstract ActivateBackward:
        rule: ActivationRule * m: int * n: int * x: Buffer<'T> * y: Buffer<'T> * dy: Buffer<'T> * dx: Buffer<'T> -> unit

    /// AddRowVector(m, n, bias, c), then Activate(rule, m, n, c, y): a dense layer's bias and the activation after it,
    /// the same numbers as the two calls, in one pass over C where the kernels can (an elementwise rule).
    abstract AddRowVectorActivate:
        m: int * n: int * bias: Buffer<'T> * c: Buffer<'T> * rule: ActivationRule * y: Buffer<'T> -> unit

    /// ActivateBackward(rule, m, n, x, y, dy, dx), then ColumnSums(m, n, dx, into): an activation's backward pass and
    /// the bias gradient of the dense layer before it, the same numbers as the two calls, in one pass where the
    /// kernels can (an elementwise rule).
    abstract ActivateBackwardColumnSums:
        rule: ActivationRule *
        m: int *
        n: int *
        x: Buffer<'T> *
        y: Buffer<'T> *
        dy: Buffer<'T> *
        dx: Buffer<'T> *
        into: Buffer<'T> ->
            unit

    /// y = x ⊙ mask for the first count elements (dropout, forward and backward).
    abstract Multiply: count: int * x: Buffer<'T> * mask: Buffer<'T> * y: Buffer<'T> -> unit

    /// For logits Z (m×k) and target rows T: the mean cross-entropy −(1/m)Σ T ⊙ logSoftmax(Z), and its
    /// gradient G = (softmax(Z) ⊙ ΣⱼTⱼ − T)/m.
    abstract SoftmaxCrossEntropy:
        m: int * k: int * logits: Buffer<'T> * targets: Buffer<'T> * gradient: Buffer<'T> -> float

    /// mean((P − T)²) over count elements, and its gradient 2(P − T)/count.
    abstract MeanSquaredError: count: int * prediction: Buffer<'T> * targets: Buffer<'T> * gradient: Buffer<'T> -> float
    /// Σ x² over count elements.
    abstract SumOfSquares: count: int * x: Buffer<'T> -> float
    /// x ← c·x for count elements.
    abstract Scale: count: int * c: 'T * x: Buffer<'T> -> unit

    /// One optimizer update of a parameter p from its gradient g and buffers m, v; n is its step number (from 1).
    abstract Update:
        optimizer: OptimizerSpec * lr: float * n: int * p: Buffer<'T> * g: Buffer<'T> * m: Buffer<'T> * v: Buffer<'T> ->
            unit

    /// Update, perhaps still running when this returns: the kernels may finish it alongside the calls that follow
    /// (a worker thread on Adam's memory-bound loop while the caller does an activation's backward pass), until
    /// FinishUpdates. The caller finishes before any matrix product, before reading or writing p, g, m or v, and before its
    /// step returns. One at a time: another StartUpdate or Update finishes the one before.
    abstract StartUpdate:
        optimizer: OptimizerSpec * lr: float * n: int * p: Buffer<'T> * g: Buffer<'T> * m: Buffer<'T> * v: Buffer<'T> ->
            unit

    /// Waits for the update begun by StartUpdate, helping to finish it (nothing when none is running).
    abstract FinishUpdates: unit -> unit

/// An index of the nonzeros of a batch of inputs, made by an ISparseKernels provider for one batch size and
/// refilled for every batch.
[<AbstractClass>]
type SparseIndex() =
    /// True when the last batch indexed was sparse enough for the sparse products.
    abstract IsSparse: bool

/// The nonzeros of every sample of a data set, found once (the samples do not change), sample by sample: sample i's
/// are Values[Starts[i] .. Starts[i + 1]) in columns Columns[…], in increasing column order, as ISparseKernels.Index
/// would find them in the sample's row. A batch's sparse index is then gathered from them (ISparseKernels.Gather)
/// instead of being searched for in its rows.
[<Sealed>]
type SparseRows<'T>(width: int, starts: int[], columns: int[], values: 'T[]) =
    do
        if
            starts.Length < 1
            || starts[0] <> 0
            || columns.Length < starts[starts.Length - 1]
            || values.Length < columns.Length
        then
            invalidArg "starts" "SparseRows: the starts must begin at 0 and end within the columns and values"

    /// Inputs per sample.
    member _.Width = width
    /// Samples.
    member _.Count = starts.Length - 1
    /// Where each sample's nonzeros begin (Count + 1 entries, the last the total).
    member _.Starts = starts
    /// The column of each nonzero.
    member _.Columns = columns
    /// Each nonzero's value.
    member _.Values = values

/// A fused step's batch drawn from a data set whose nonzeros were found once: samples Order[First .. First + rows)
/// of Source. Set Order and First before each step (the object is reused: a step allocates nothing).
[<Sealed; AllowNullLiteral>]
type SparseBatch<'T>(source: SparseRows<'T>) =
    /// The data set's nonzeros.
    member _.Source = source
    /// The epoch's order of samples.
    member val Order: int[] = [||] with get, set
    /// The batch's first position in Order.
    member val First = 0 with get, set

/// Optional kernels that exploit zeros in a layer's input (most pixels of an MNIST digit are blank): the first
/// layer's products then cost in proportion to the nonzeros instead of the matrix size. The results are the dense
/// products' up to rounding; a provider without them (or a batch that is not sparse) takes the dense products.
type ISparseKernels<'T when 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'T :> IFloatingPointIeee754<'T>>
    =
    /// An index for batches of up to rows samples of columns inputs.
    abstract CreateIndex: rows: int * columns: int -> SparseIndex

    /// Indexes the nonzeros of a (rows × columns, stored row-major: one sample after another). Returns whether at
    /// most maxDensity of the elements are nonzero; when not, the index must not be used.
    abstract Index: index: SparseIndex * rows: int * a: Buffer<'T> * maxDensity: float -> bool

    /// Index, for the rows a would hold if filled with samples order[first .. first + rows) of source: the same index
    /// and the same answer, from the samples' nonzeros found once rather than searched for in every batch.
    abstract Gather:
        index: SparseIndex * rows: int * source: SparseRows<'T> * order: int[] * first: int * maxDensity: float -> bool

    /// out (rows × n, column-major) = A·Wᵀ + bias for the indexed A and W (n × columns, column-major).
    abstract SparseForward: index: SparseIndex * n: int * w: Buffer<'T> * bias: Buffer<'T> * out: Buffer<'T> -> unit

    /// dW (n × columns, column-major) = Gᵀ·A for G (rows × n, column-major) and the indexed A.
    abstract SparseWeightGradient: index: SparseIndex * n: int * g: Buffer<'T> * dw: Buffer<'T> -> unit

    /// SparseWeightGradient, then the optimizer's update of W (IKernels.Update's rule, step number step) applied
    /// to each part of W as soon as its gradient is computed, while it is in cache. The same numbers as the two
    /// calls one after the other; false (and nothing done) for an optimizer, or a batch, these kernels do not fuse
    /// (the caller then makes the two calls).
    abstract SparseWeightGradientAndUpdate:
        index: SparseIndex *
        n: int *
        g: Buffer<'T> *
        dw: Buffer<'T> *
        optimizer: OptimizerSpec *
        lr: float *
        step: int *
        w: Buffer<'T> *
        m: Buffer<'T> *
        v: Buffer<'T> ->
            bool

/// Loss kernels over host arrays, for providers that compute on the host.
[<RequireQualifiedAccess>]
module Kernel =

    /// Row-wise softmax cross-entropy of m×k logits against targets, column-major: returns the mean loss and
    /// writes the gradient (softmax ⊙ ΣⱼTⱼ − T)/m: the loss's rule (ObjectiveRules.SoftmaxCrossEntropyRule).
    let softmaxCrossEntropy<'T
        when 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'T :> IFloatingPointIeee754<'T>>
        (m: int)
        (k: int)
        (z: 'T[])
        (t: 'T[])
        (g: 'T[])
        : float =
        ObjectiveRules.softmaxCrossEntropy.Compute(m, k, ReadOnlySpan z, ReadOnlySpan t, Span g)

/// Kernels in plain .NET loops over host arrays, with MathNet's managed matrix product: the reference
/// the faster providers are checked against.
type ManagedKernels<'T when 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'T :> IFloatingPointIeee754<'T>>
    () =
    let host (b: Buffer<'T>) =
        match b with
        | :? HostBuffer<'T> as h -> h.Data
        | _ -> invalidArg "b" "the managed kernels compute on host buffers only"

    let gemmProvider =
        match box ManagedLinearAlgebraProvider.Instance with
        | :? ILinearAlgebraProvider<'T> as p -> p
        | _ -> invalidOp $"MathNet has no managed provider for {typeof<'T>.Name}"

    /// The shared instance.
    static member val Instance = ManagedKernels<'T>()

    interface IKernels<'T> with
        member _.Name = "managed"

        member this.AddRowVectorActivate(m, n, bias, c, rule, y) =
            let k = this :> IKernels<'T>
            k.AddRowVector(m, n, bias, c)
            k.Activate(rule, m, n, c, y)

        member this.ActivateBackwardColumnSums(rule, m, n, x, y, dy, dx, into) =
            let k = this :> IKernels<'T>
            k.ActivateBackward(rule, m, n, x, y, dy, dx)
            k.ColumnSums(m, n, dx, into)

        member _.Allocate length = HostBuffer(Array.zeroCreate length)
        member _.Wrap data = HostBuffer data

        member _.Gemm(transA, transB, m, n, k, alpha, a, b, beta, c) =
            let ra, ca = (if transA then k, m else m, k)
            let rb, cb = (if transB then n, k else k, n)

            let ta =
                if transA then
                    Transpose.Transpose
                else
                    Transpose.DontTranspose

            let tb =
                if transB then
                    Transpose.Transpose
                else
                    Transpose.DontTranspose

            gemmProvider.MatrixMultiplyWithUpdate(ta, tb, alpha, host a, ra, ca, host b, rb, cb, beta, host c)

        member _.AddRowVector(m, n, bias, c) =
            let b, c = host bias, host c

            for j in 0 .. n - 1 do
                for i in 0 .. m - 1 do
                    c[j * m + i] <- c[j * m + i] + b[j]

        member _.ColumnSums(m, n, a, into) =
            let a, s = host a, host into

            for j in 0 .. n - 1 do
                let mutable total = 'T.Zero

                for i in 0 .. m - 1 do
                    total <- total + a[j * m + i]

                s[j] <- total

        member _.Activate(rule, m, n, x, y) =
            rule.Forward(m, n, ReadOnlySpan(host x), Span(host y))

        member _.ActivateBackward(rule, m, n, x, y, dy, dx) =
            rule.Backward(m, n, ReadOnlySpan(host x), ReadOnlySpan(host y), ReadOnlySpan(host dy), Span(host dx))

        member _.Multiply(count, x, mask, y) =
            let x, mask, y = host x, host mask, host y

            for i in 0 .. count - 1 do
                y[i] <- x[i] * mask[i]

        member _.SoftmaxCrossEntropy(m, k, logits, targets, gradient) =
            Kernel.softmaxCrossEntropy m k (host logits) (host targets) (host gradient)

        member _.MeanSquaredError(count, prediction, targets, gradient) =
            ObjectiveRules.meanSquaredError.Compute(
                count,
                1,
                ReadOnlySpan(host prediction),
                ReadOnlySpan(host targets),
                Span(host gradient)
            )

        member _.SumOfSquares(count, x) =
            let x = host x
            let mutable total = 0.0

            for i in 0 .. count - 1 do
                let v = Tensor.toFloat x[i]
                total <- total + v * v

            total

        member _.Scale(count, c, x) =
            let x = host x

            for i in 0 .. count - 1 do
                x[i] <- c * x[i]

        member this.StartUpdate(optimizer, lr, n, p, g, m, v) =
            (this :> IKernels<'T>).Update(optimizer, lr, n, p, g, m, v)

        member _.FinishUpdates() = ()

        member _.Update(optimizer, lr, n, p, g, m, v) =
            match optimizer with
            | Sgd s -> Update.sgd s lr n (host p) (host g) (host m)
            | RmsProp s -> Update.rmsProp s lr (host p) (host g) (host m) (host v)
            | Adam s -> Update.adam s lr n (host p) (host g) (host m) (host v)
