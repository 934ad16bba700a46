using System.CommandLine;
using Hybrid.Cli;

var root = new RootCommand("Hybrid: neural networks in .NET, with gradients you can check.");
root.Subcommands.Add(GraphCommand.Create());
return root.Parse(args).Invoke();
