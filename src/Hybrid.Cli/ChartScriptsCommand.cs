using System.CommandLine;
using Hybrid.Charts;

namespace Hybrid.Cli;

/// <summary><c>hybrid chart-scripts [--copy-to DIR]</c>: fetches the chart scripts into the cache, optionally copies them (for a web site).</summary>
static class ChartScriptsCommand
{
    public static Command Create()
    {
        var copyTo = new Option<DirectoryInfo?>("--copy-to") { Description = "Copy the scripts into this folder." };
        var command = new Command("chart-scripts", $"Fetch the scripts that draw Hybrid's charts ({string.Join(", ", ChartScripts.Packages)}) into the cache.")
        {
            copyTo,
        };
        command.SetAction(parse =>
        {
            ChartScripts.Ensure(line => Console.Error.WriteLine(line));
            if (parse.GetValue(copyTo) is { } folder)
            {
                ChartScripts.CopyTo(folder.FullName);
                Console.WriteLine(folder.FullName);
            }
            else
            {
                Console.WriteLine(ChartScripts.CacheFolder);
            }

            return 0;
        });
        return command;
    }
}
