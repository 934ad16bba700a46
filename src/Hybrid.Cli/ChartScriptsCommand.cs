using System.CommandLine;
using Hybrid.Charts;

namespace Hybrid.Cli;

/// <summary>
/// <c>hybrid chart-scripts [--copy-to DIR] [--math DIR]</c>: fetches the chart scripts into the cache, optionally copies
/// them (for a web site); <c>--math</c> also fetches KaTeX, which typesets a site's equations, and copies it there.
/// </summary>
static class ChartScriptsCommand
{
    public static Command Create()
    {
        var copyTo = new Option<DirectoryInfo?>("--copy-to") { Description = "Copy the scripts into this folder." };
        var math = new Option<DirectoryInfo?>("--math") { Description = $"Also fetch {MathScripts.Package} (typeset equations) and copy it into this folder." };
        var command = new Command("chart-scripts", $"Fetch the scripts that draw Hybrid's charts ({string.Join(", ", ChartScripts.Packages)}) into the cache.")
        {
            copyTo,
            math,
        };
        command.SetAction(parse =>
        {
            ChartScripts.Ensure(line => Console.Error.WriteLine(line));
            if (parse.GetValue(math) is { } mathFolder)
            {
                MathScripts.CopyTo(mathFolder.FullName, line => Console.Error.WriteLine(line));
                Console.WriteLine(mathFolder.FullName);
            }

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
