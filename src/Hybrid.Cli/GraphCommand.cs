using System.CommandLine;
using Hybrid.Autograd;
using MathNet.Numerics.LinearAlgebra;

namespace Hybrid.Cli;

/// <summary><c>hybrid graph</c>: one gradient-descent step of logistic regression, drawn as a graph.</summary>
static class GraphCommand
{
    public static Command Create()
    {
        var output = new Option<FileInfo?>("--output", "-o")
        {
            Description = "Write the Graphviz DOT text to this file instead of standard output (render with: dot -Tsvg)."
        };
        var command = new Command("graph",
            "Logistic regression on four points as a computational graph: prints the loss, the gradients, and the graph in DOT.");
        command.Options.Add(output);
        command.SetAction(parse => Run(parse.GetValue(output)));
        return command;
    }

    static int Run(FileInfo? output)
    {
        var x = Variable.Constant(Matrix<double>.Build.DenseOfRowArrays([1.0, 2.0], [-1.5, 0.5], [0.3, -2.0], [2.0, 1.0]));
        var y = Variable.Constant(Matrix<double>.Build.DenseOfRowArrays([1.0], [0.0], [0.0], [1.0]));
        var w = Variable.Parameter(Matrix<double>.Build.DenseOfRowArrays([0.4], [-0.3]), "w");
        var b = Variable.Parameter(0.1, "b");

        var loss = Losses.BinaryCrossEntropy((x.MatMul(w) + b).Sigmoid(), y);
        loss.Backward(keepGraph: true);

        var dot = loss.ToDot();
        if (output is null)
        {
            Console.WriteLine(dot);
        }
        else
        {
            Hybrid.IO.Files.WriteAllTextAtomic(output.FullName, dot);
            Console.Error.WriteLine($"wrote {output.FullName}");
        }

        Console.Error.WriteLine($"loss {loss.Value[0, 0]:G6}; dL/dw = [{w.Grad![0, 0]:G6}, {w.Grad[1, 0]:G6}]; dL/db = {b.Grad![0, 0]:G6}");
        return 0;
    }
}
