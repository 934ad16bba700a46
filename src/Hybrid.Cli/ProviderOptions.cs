using System.CommandLine;

namespace Hybrid.Cli;

/// <summary>The --provider and --threads options every computing command shares.</summary>
static class ProviderOptions
{
    /// <summary>The most threads --threads may ask for (each is a thread of its own in the matrix products).</summary>
    const int MaxThreads = 1024;

    public static Option<string> Provider()
    {
        var option = new Option<string>("--provider")
        {
            Description = "Matrix provider: managed, simd, openblas or best (default: HYBRID_PROVIDER, else best).",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("HYBRID_PROVIDER") is { Length: > 0 } p ? p : "best",
        };
        option.AcceptOnlyFromAmong("managed", "simd", "openblas", "best");
        return option;
    }

    public static Option<int?> Threads() =>
        new("--threads") { Description = "Threads for matrix products (default: OPENBLAS_NUM_THREADS, else all cores)." };

    /// <summary><c>hybrid providers</c>: which providers can run here, and the one --provider best picks.</summary>
    public static Command Command()
    {
        var provider = Provider();
        var command = new Command("providers", "List the matrix providers and whether each can run here.") { provider };
        command.SetAction(parse =>
        {
            foreach (var kind in new[] { ProviderKind.Managed, ProviderKind.Simd, ProviderKind.OpenBlas })
            {
                if (!Providers.IsAvailable(kind))
                {
                    Console.WriteLine($"{kind.ToString().ToLowerInvariant(),-9} not available");
                    continue;
                }

                Providers.Use(kind);
                Console.WriteLine($"{kind.ToString().ToLowerInvariant(),-9} {Providers.Describe()}");
            }

            Apply(parse.GetValue(provider)!, null);
            Console.WriteLine($"active    {Providers.Describe()}");
            return 0;
        });
        return command;
    }

    /// <summary>Switches the provider; OpenBLAS missing gives the clear error naming the package to install.</summary>
    public static void Apply(string provider, int? threads)
    {
        if (threads is { } t)
        {
            if (t is < 1 or > MaxThreads) throw new ArgumentException($"--threads: {t} is not in [1, {MaxThreads}]");
            Providers.Threads = t;
        }

        try
        {
            Providers.Use(Providers.Parse(provider));
        }
        catch (DllNotFoundException e)
        {
            throw new InvalidOperationException(e.Message, e);
        }
    }
}
