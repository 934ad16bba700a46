using System.Globalization;

namespace Hybrid.Cli;

/// <summary>
/// The command line's numbers checked before any work starts, each error naming the option, its value and the range
/// it must be in (NaN fails every check: each comparison with NaN is false).
/// </summary>
static class Checks
{
    static string Shown(double x) => x.ToString(CultureInfo.InvariantCulture);

    static ArgumentException Bad(string option, object value, string range) =>
        new($"{option}: {value} is not {range}");

    public static void AtLeast(string option, int value, int minimum)
    {
        if (value < minimum) throw Bad(option, value, $"an integer of at least {minimum}");
    }

    public static void Positive(string option, double? value)
    {
        if (value is { } x && !(x > 0 && double.IsFinite(x))) throw Bad(option, Shown(x), "a positive, finite number");
    }

    public static void NonNegative(string option, double value)
    {
        if (!(value >= 0 && double.IsFinite(value))) throw Bad(option, Shown(value), "a finite number of at least 0");
    }

    public static void UnitInterval(string option, double value)
    {
        if (value is not (>= 0 and <= 1)) throw Bad(option, Shown(value), "in [0, 1]");
    }

    public static void Fraction(string option, double value)
    {
        if (value is not (>= 0 and < 1)) throw Bad(option, Shown(value), "in [0, 1) (the probability of dropping a unit)");
    }
}
