using System.Globalization;
using Hybrid.Training;

namespace Hybrid.Cli;

/// <summary>Parses the command line's words for optimizers and schedules into the façade's objects.</summary>
static class Recipe
{
    static double Number(string text, string what) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v)
            ? v
            : throw new ArgumentException($"{what}: '{text}' is not a finite number");

    static int Integer(string text, string what) =>
        int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v)
            ? v
            : throw new ArgumentException($"{what}: '{text}' is not an integer");

    public static IReadOnlyList<int> Hidden(string text)
    {
        var widths = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(t => int.TryParse(t, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n > 0
                ? n
                : throw new ArgumentException($"--hidden: '{t}' is not a positive layer width"))
            .ToArray();
        return widths.Length > 0 ? widths : throw new ArgumentException($"--hidden: '{text}' names no layer width (e.g. --hidden 128 or --hidden 256,128)");
    }

    public static Optimizer Optimizer(string name, double? lr, double momentum, double weightDecay) => name switch
    {
        "sgd" => Hybrid.Optimizer.Sgd(lr ?? 0.1, weightDecay: weightDecay),
        "momentum" => Hybrid.Optimizer.Momentum(lr ?? 0.01, momentum, weightDecay),
        "nesterov" => Hybrid.Optimizer.Nesterov(lr ?? 0.01, momentum, weightDecay),
        "rmsprop" => Hybrid.Optimizer.RmsProp(lr ?? 0.001, weightDecay: weightDecay),
        "adam" => Hybrid.Optimizer.Adam(lr ?? 0.002, weightDecay: weightDecay),
        "adamw" => Hybrid.Optimizer.AdamW(lr ?? 0.001, weightDecay == 0 ? 0.01 : weightDecay),
        _ => throw new ArgumentException($"--optimizer: '{name}' is not one of sgd, momentum, nesterov, rmsprop, adam, adamw"),
    };

    /// <summary>
    /// constant | step:SIZE[:GAMMA] | exponential:GAMMA | cosine[:MIN] (over the run's epochs) |
    /// plateau[:FACTOR[:PATIENCE]] | warmup:EPOCHS[:THEN…] (THEN any of the others). Every part is checked: its count,
    /// integers where an integer is meant, and each value's range (a rate factor above 0, a plateau factor in (0, 1), …).
    /// </summary>
    public static Schedule Schedule(string text, int epochs)
    {
        var parts = text.Split(':');
        var name = parts[0];
        int most = name switch { "constant" => 1, "step" or "plateau" => 3, "exponential" or "cosine" => 2, _ => int.MaxValue };
        if (parts.Length > most) throw new ArgumentException($"--schedule: '{text}' has {parts.Length - 1} values after '{name}', at most {most - 1} are taken");
        string At(int i, string fallback) => parts.Length > i ? parts[i] : fallback;
        var what = $"--schedule {name}";
        double Ranged(string value, Func<double, bool> valid, string range)
        {
            var x = Number(value, what);
            return valid(x) ? x : throw new ArgumentException($"{what}: {value} must be {range}");
        }

        int Counted(string value, int minimum)
        {
            var n = Integer(value, what);
            return n >= minimum ? n : throw new ArgumentException($"{what}: {value} must be an integer of at least {minimum}");
        }

        switch (name)
        {
            case "constant":
                return Hybrid.Schedule.Constant;
            case "step":
                return Hybrid.Schedule.Step(Counted(At(1, "5"), 1), Ranged(At(2, "0.5"), g => g > 0, "above 0 (the factor every SIZE epochs)"));
            case "exponential":
                return Hybrid.Schedule.Exponential(Ranged(At(1, "0.9"), g => g > 0, "above 0 (the factor per epoch)"));
            case "cosine":
                return Hybrid.Schedule.Cosine(epochs, Ranged(At(1, "0"), m => m >= 0, "at least 0 (the final learning rate)"));
            case "plateau":
                return Hybrid.Schedule.ReduceOnPlateau(Ranged(At(1, "0.5"), f => f is > 0 and < 1, "in (0, 1) (the factor on a plateau)"), Counted(At(2, "2"), 0));
            case "warmup" when parts.Length > 1:
                var warm = Counted(parts[1], 1);
                if (parts.Length == 2) return Hybrid.Schedule.Warmup(warm, 0.1);
                if (warm >= epochs)
                    throw new ArgumentException($"{what}: {warm} warm-up epochs leave none of the {epochs} for '{string.Join(':', parts[2..])}'");
                return Hybrid.Schedule.Warmup(warm, 0.1, Schedule(string.Join(':', parts[2..]), epochs - warm));
            default:
                throw new ArgumentException(
                    $"--schedule: '{text}' is not one of constant, step:SIZE[:GAMMA], exponential:GAMMA, cosine[:MIN], plateau[:FACTOR[:PATIENCE]], warmup:EPOCHS[:THEN]");
        }
    }

    /// <summary>The median (NaN for none), as the race's peers report epoch times.</summary>
    public static double Median(IEnumerable<double> values)
    {
        var s = values.Order().ToArray();
        return s.Length == 0 ? double.NaN : s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }

    public static string Percent(double x) => double.IsNaN(x) ? "–" : (100 * x).ToString("F2", CultureInfo.InvariantCulture) + "%";
}
