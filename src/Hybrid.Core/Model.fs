namespace Hybrid.Core

open System
open System.Collections.Generic
open MathNet.Numerics.LinearAlgebra

/// A sequential network (PyTorch's nn.Sequential): layers applied in order to a batch with Inputs columns.
type Sequential<'T
    when 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'T :> Numerics.IFloatingPointIeee754<'T>> =
    {
        Inputs: int
        Specs: LayerSpec[]
        Layers: Layer<'T>[]
    }

/// Building, running and inspecting sequential models.
[<RequireQualifiedAccess>]
module Sequential =

    let private validate (inputs: int) (specs: LayerSpec[]) =
        if inputs < 1 then
            invalidArg "inputs" $"a model needs at least one input feature, got {inputs}"

        specs
        |> Array.iteri (fun i spec ->
            match spec with
            | LayerSpec.Dense(n, _, _) when n < 1 ->
                invalidArg "specs" $"layer {i}: a dense layer needs at least one unit, got {n}"
            | LayerSpec.Dropout rate when rate < 0.0 || rate >= 1.0 ->
                invalidArg "specs" $"layer {i}: the dropout rate must be in [0, 1), got {rate}"
            | LayerSpec.Graph rule when isNull (box rule) ->
                invalidArg "specs" $"layer {i}: a graph layer needs its rule"
            | _ -> ())

    /// The width of the data after each layer, starting with the inputs.
    let widths (inputs: int) (specs: LayerSpec[]) =
        specs
        |> Array.scan
            (fun width spec ->
                match spec with
                | LayerSpec.Dense(n, _, _) -> n
                | LayerSpec.Graph rule -> rule.Outputs width
                | _ -> width)
            inputs

    /// A model with freshly initialised parameters, every draw taken from rng in layer order.
    let create<'T
        when 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'T :> Numerics.IFloatingPointIeee754<'T>>
        (rng: Random)
        (inputs: int)
        (specs: LayerSpec[])
        : Sequential<'T> =
        validate inputs specs
        let widths = widths inputs specs

        let layers =
            specs
            |> Array.mapi (fun i spec ->
                match spec with
                | LayerSpec.Dense(n, wInit, bInit) ->
                    let fanIn = widths[i]
                    let w = Init.create wInit rng fanIn n n fanIn
                    let b = Init.create bInit rng fanIn n 1 n
                    DenseLayer(Graph.variable $"{i}.weight" w, Graph.variable $"{i}.bias" b)
                | LayerSpec.Activation kind -> ActivationLayer kind
                | LayerSpec.Dropout rate -> DropoutLayer rate
                | LayerSpec.Graph rule ->
                    let fanIn = widths[i]
                    let fanOut = widths[i + 1]

                    let ps =
                        rule.Parameters fanIn
                        |> Array.map (fun (name, rows, cols, init) ->
                            Graph.variable $"{i}.{name}" (Init.create init rng fanIn fanOut rows cols))

                    GraphLayer(rule, ps))

        {
            Inputs = inputs
            Specs = specs
            Layers = layers
        }

    /// The number of outputs (columns of the result).
    let outputs (model: Sequential<'T>) =
        Array.last (widths model.Inputs model.Specs)

    /// The parameters with PyTorch nn.Sequential's names: "0.weight" [out, in], "0.bias" [1, out], …
    let parameters (model: Sequential<'T>) =
        model.Layers
        |> Array.mapi (fun i layer ->
            match layer with
            | DenseLayer(w, b) -> [| $"{i}.weight", w; $"{i}.bias", b |]
            | GraphLayer(_, ps) -> ps |> Array.map (fun p -> p.Name, p)
            | _ -> [||])
        |> Array.concat

    /// The number of trainable scalars.
    let parameterCount (model: Sequential<'T>) =
        parameters model |> Array.sumBy (fun (_, p) -> p.Shape.Count)

    /// A model with the given parameter values (for example loaded from a file). Every dense layer
    /// needs "i.weight" [out, in] and "i.bias" [1, out] (or [out, 1]); errors name what is missing
    /// or of the wrong shape.
    let ofParameters
        (inputs: int)
        (specs: LayerSpec[])
        (values: IReadOnlyDictionary<string, Matrix<'T>>)
        : Sequential<'T> =
        validate inputs specs
        let widths = widths inputs specs

        let get name (rows: int) (cols: int) =
            match values.TryGetValue name with
            | true, m when m.RowCount = rows && m.ColumnCount = cols -> m
            | true, m when rows = 1 && m.RowCount = cols && m.ColumnCount = 1 -> m.Transpose()
            | true, m ->
                raise (
                    ShapeMismatchException(
                        $"loading parameter {name}",
                        Shape.create rows cols,
                        Tensor.shape m,
                        "the stored tensor must have the layer's shape"
                    )
                )
            | _ -> invalidArg "values" $"the parameter {name} ({rows}×{cols}) is missing"

        let layers =
            specs
            |> Array.mapi (fun i spec ->
                match spec with
                | LayerSpec.Dense(n, _, _) ->
                    DenseLayer(
                        Graph.variable $"{i}.weight" (get $"{i}.weight" n widths[i]),
                        Graph.variable $"{i}.bias" (get $"{i}.bias" 1 n)
                    )
                | LayerSpec.Activation kind -> ActivationLayer kind
                | LayerSpec.Dropout rate -> DropoutLayer rate
                | LayerSpec.Graph rule ->
                    let ps =
                        rule.Parameters widths[i]
                        |> Array.map (fun (name, rows, cols, _) ->
                            Graph.variable $"{i}.{name}" (get $"{i}.{name}" rows cols))

                    GraphLayer(rule, ps))

        {
            Inputs = inputs
            Specs = specs
            Layers = layers
        }

    /// The forward pass of a batch (one sample per row); the result's graph reaches every parameter.
    let forward (pass: Pass) (model: Sequential<'T>) (x: Node<'T>) =
        if x.Shape.Cols <> model.Inputs then
            raise (
                ShapeMismatchException(
                    "model input",
                    x.Shape,
                    Shape.create x.Shape.Rows model.Inputs,
                    $"the model takes {model.Inputs} features per row"
                )
            )

        model.Layers |> Array.fold (fun h layer -> Layer.forward pass layer h) x

    /// The model's raw outputs for a batch, in evaluation mode (no dropout, no gradients kept).
    let evaluate (model: Sequential<'T>) (x: Matrix<'T>) =
        let pass = { Mode = Evaluation; Random = Random 0 }
        (forward pass model (Graph.constant x)).Value
