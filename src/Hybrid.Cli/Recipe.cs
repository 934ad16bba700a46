using System.Globalization;
using Hybrid.Training;

namespace Hybrid.Cli;

/// <summary>Parses the command line's words for optimizers and schedules into the façade's objects.</summary>
static class Recipe
{
    static double Number(string text, string what) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v)
            ? v
            : throw new ArgumentException($"{what}: '{text}' is not a number");

    public static IReadOnlyList<int> Hidden(string text) =>
        text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(t => int.TryParse(t, out var n) && n > 0 ? n : throw new ArgumentException($"--hidden: '{t}' is not a positive layer width"))
            .ToArray();

    public static Optimizer Optimizer(string name, double? lr, double momentum, double weightDecay) => name switch
    {
        "sgd" => Hybrid.Optimizer.Sgd(lr ?? 0.1, weightDecay: weightDecay),
        "momentum" => Hybrid.Optimizer.Momentum(lr ?? 0.01, momentum, weightDecay),
        "nesterov" => Hybrid.Optimizer.Nesterov(lr ?? 0.01, momentum, weightDecay),
        "rmsprop" => Hybrid.Optimizer.RmsProp(lr ?? 0.001, weightDecay: weightDecay),
        "adam" => Hybrid.Optimizer.Adam(lr ?? 0.001, weightDecay: weightDecay),
        "adamw" => Hybrid.Optimizer.AdamW(lr ?? 0.001, weightDecay == 0 ? 0.01 : weightDecay),
        _ => throw new ArgumentException($"--optimizer: '{name}' is not one of sgd, momentum, nesterov, rmsprop, adam, adamw"),
    };

    /// <summary>
    /// constant | step:SIZE[:GAMMA] | exponential:GAMMA | cosine[:MIN] (over the run's epochs) |
    /// plateau[:FACTOR[:PATIENCE]] | warmup:EPOCHS[:THEN…] (THEN any of the others).
    /// </summary>
    public static Schedule Schedule(string text, int epochs)
    {
        var parts = text.Split(':');
        string At(int i, string fallback) => parts.Length > i ? parts[i] : fallback;
        return parts[0] switch
        {
            "constant" => Hybrid.Schedule.Constant,
            "step" => Hybrid.Schedule.Step((int)Number(At(1, "5"), "--schedule step"), Number(At(2, "0.5"), "--schedule step")),
            "exponential" => Hybrid.Schedule.Exponential(Number(At(1, "0.9"), "--schedule exponential")),
            "cosine" => Hybrid.Schedule.Cosine(epochs, Number(At(1, "0"), "--schedule cosine")),
            "plateau" => Hybrid.Schedule.ReduceOnPlateau(Number(At(1, "0.5"), "--schedule plateau"), (int)Number(At(2, "2"), "--schedule plateau")),
            "warmup" when parts.Length > 1 =>
                Hybrid.Schedule.Warmup((int)Number(parts[1], "--schedule warmup"), 0.1,
                    parts.Length > 2 ? Schedule(string.Join(':', parts[2..]), epochs - (int)Number(parts[1], "--schedule warmup")) : null),
            _ => throw new ArgumentException(
                $"--schedule: '{text}' is not one of constant, step:SIZE[:GAMMA], exponential:GAMMA, cosine[:MIN], plateau[:FACTOR[:PATIENCE]], warmup:EPOCHS[:THEN]"),
        };
    }

    /// <summary>The median (NaN for none), as the race's peers report epoch times.</summary>
    public static double Median(IEnumerable<double> values)
    {
        var s = values.Order().ToArray();
        return s.Length == 0 ? double.NaN : s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }

    public static string Percent(double x) => double.IsNaN(x) ? "–" : (100 * x).ToString("F2", CultureInfo.InvariantCulture) + "%";
}
