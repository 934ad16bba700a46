using System.CommandLine;
using Hybrid.Cli;

var root = new RootCommand("Hybrid: neural networks in .NET, with gradients you can check.");
root.Subcommands.Add(TrainCommand.Create());
root.Subcommands.Add(EvaluateCommand.Create());
root.Subcommands.Add(PredictCommand.Create());
root.Subcommands.Add(ExportCommand.Create());
root.Subcommands.Add(ServeCommand.Create());
root.Subcommands.Add(GraphCommand.Create());
root.Subcommands.Add(BenchCommand.Create());
root.Subcommands.Add(ProviderOptions.Command());
root.Subcommands.Add(ChartScriptsCommand.Create());
var config = new InvocationConfiguration { EnableDefaultExceptionHandler = false };
try
{
    return root.Parse(args).Invoke(config);
}
catch (Exception e) when (e is ArgumentException or InvalidDataException or IOException or InvalidOperationException
                              or UnauthorizedAccessException or Hybrid.Training.TrainingDivergedException or TimeoutException)
{
    // Errors speak for themselves: the message names the file, shape or setting, without a stack trace.
    Console.Error.WriteLine($"hybrid: {e.Message}");
    return 1;
}
