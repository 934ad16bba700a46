namespace Hybrid;

/// <summary>
/// Argument checks with messages that name the method, the argument, its value and the range it must be in.
/// NaN fails every check (each is written so that a comparison with NaN, always false, refuses it).
/// </summary>
static class Guard
{
    static ArgumentOutOfRangeException Out(string where, string name, object value, string range) =>
        new(name, value, $"{where}: {name} must be {range}, not {value}");

    /// <summary>A finite number above 0.</summary>
    public static double Positive(double value, string name, string where) =>
        value > 0 && double.IsFinite(value) ? value : throw Out(where, name, value, "a positive, finite number");

    /// <summary>A finite number of at least 0.</summary>
    public static double NonNegative(double value, string name, string where) =>
        value >= 0 && double.IsFinite(value) ? value : throw Out(where, name, value, "a finite number of at least 0");

    /// <summary>A number in [0, 1].</summary>
    public static double UnitInterval(double value, string name, string where) =>
        value is >= 0 and <= 1 ? value : throw Out(where, name, value, "in [0, 1]");

    /// <summary>A number in [0, 1).</summary>
    public static double Fraction(double value, string name, string where) =>
        value is >= 0 and < 1 ? value : throw Out(where, name, value, "in [0, 1)");

    /// <summary>A number in (0, 1).</summary>
    public static double OpenFraction(double value, string name, string where) =>
        value is > 0 and < 1 ? value : throw Out(where, name, value, "in (0, 1), exclusive");

    /// <summary>A number in (0, 1].</summary>
    public static double Factor(double value, string name, string where) =>
        value is > 0 and <= 1 ? value : throw Out(where, name, value, "in (0, 1]");

    /// <summary>An integer of at least <paramref name="minimum"/>.</summary>
    public static int AtLeast(int value, int minimum, string name, string where) =>
        value >= minimum ? value : throw Out(where, name, value, $"at least {minimum}");
}

/// <summary>The optimizers' hyper-parameter ranges (those of torch.optim, plus finiteness); each returns null when all hold.</summary>
static class OptimizerChecks
{
    public static Optimizer? Sgd(double lr, double momentum, bool nesterov, double weightDecay, double dampening)
    {
        Guard.Positive(lr, nameof(lr), "Optimizer.Sgd");
        Guard.UnitInterval(momentum, nameof(momentum), "Optimizer.Sgd");
        Guard.NonNegative(weightDecay, nameof(weightDecay), "Optimizer.Sgd");
        Guard.UnitInterval(dampening, nameof(dampening), "Optimizer.Sgd");
        if (nesterov && (momentum <= 0 || dampening != 0))
            throw new ArgumentOutOfRangeException(nameof(nesterov), nesterov,
                $"Optimizer.Sgd: Nesterov momentum needs a momentum above 0 and no dampening (momentum {momentum}, dampening {dampening})");
        return null;
    }

    public static Optimizer? RmsProp(double lr, double alpha, double eps, double momentum, double weightDecay)
    {
        Guard.Positive(lr, nameof(lr), "Optimizer.RmsProp");
        Guard.UnitInterval(alpha, nameof(alpha), "Optimizer.RmsProp");
        Guard.NonNegative(eps, nameof(eps), "Optimizer.RmsProp");
        Guard.UnitInterval(momentum, nameof(momentum), "Optimizer.RmsProp");
        Guard.NonNegative(weightDecay, nameof(weightDecay), "Optimizer.RmsProp");
        return null;
    }

    public static Optimizer? Adam(double lr, double beta1, double beta2, double eps, double weightDecay)
    {
        Guard.Positive(lr, nameof(lr), "Optimizer.Adam");
        Guard.Fraction(beta1, nameof(beta1), "Optimizer.Adam");
        Guard.Fraction(beta2, nameof(beta2), "Optimizer.Adam");
        Guard.NonNegative(eps, nameof(eps), "Optimizer.Adam");
        Guard.NonNegative(weightDecay, nameof(weightDecay), "Optimizer.Adam");
        return null;
    }
}
