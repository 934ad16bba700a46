namespace Hybrid.Core

open System
open System.Globalization
open System.Text
open MathNet.Numerics.LinearAlgebra

/// Graphviz DOT text for a computational graph, so a learner can see each node's op,
/// value and gradient (render with `dot -Tsvg`).
[<RequireQualifiedAccess>]
module Dot =

    /// Matrices of up to this many elements are printed in full; larger ones are summarised.
    let private fullLimit = 9

    let private number (x: float) =
        x.ToString("G4", CultureInfo.InvariantCulture)

    /// A matrix as text: "[1, 2; 3, 4]" when small, else its shape and range.
    let formatMatrix (m: Matrix<'T>) =
        let v = m.Map(fun x -> Tensor.toFloat x)

        if v.RowCount * v.ColumnCount <= fullLimit then
            let rows =
                [
                    for i in 0 .. v.RowCount - 1 -> v.Row(i).ToArray() |> Array.map number |> String.concat ", "
                ]

            "[" + String.concat "; " rows + "]"
        else
            $"{Tensor.shape m} in [{number (v.Enumerate() |> Seq.min)}, {number (v.Enumerate() |> Seq.max)}]"

    // Characters with a meaning inside a DOT record label.
    let private escape (s: string) =
        let b = StringBuilder()

        for c in s do
            if "{}|<>\"\\".IndexOf c >= 0 then
                b.Append('\\') |> ignore

            b.Append c |> ignore

        b.ToString()

    /// The graph behind root as DOT text: one record per node (op and name, value, gradient
    /// when one has been computed), one edge per input, drawn left to right from the leaves.
    let ofNode (root: Node<'T>) =
        let order = Graph.topologicalOrder root
        let id = Collections.Generic.Dictionary<Node<'T>, int>(HashIdentity.Reference)
        let b = StringBuilder()
        b.AppendLine("digraph hybrid {").AppendLine("  rankdir=LR;") |> ignore

        b.AppendLine("  node [shape=record, fontname=\"Helvetica\", fontsize=10];")
        |> ignore

        for node in order do
            id[node] <- id.Count

            let title =
                if String.IsNullOrEmpty node.Name then
                    node.Op
                else
                    $"{node.Op} {node.Name}"

            let grad =
                match node.Grad with
                | Some g -> $" | grad {formatMatrix g}"
                | None -> ""

            let fill =
                if node.IsLeaf then
                    (if node.RequiresGrad then "#dbeafe" else "#f3f4f6")
                else
                    "#ffffff"

            b.AppendLine(
                $"  n{id[node]} [label=\"{{{escape title} | value {escape (formatMatrix node.Value)}{escape grad}}}\", style=filled, fillcolor=\"{fill}\"];"
            )
            |> ignore

            for input in node.Inputs do
                b.AppendLine($"  n{id[input]} -> n{id[node]};") |> ignore

        b.AppendLine("}").ToString()
