using Hybrid.Autograd;
using MathNet.Numerics.LinearAlgebra;

namespace Hybrid.Examples;

/// <summary>Page 12: a new op written in C#, with its derivative, proved by a gradient check.</summary>
public static class Extending
{
    #region swish
    /// <summary>Swish (SiLU): x·σ(x). Its derivative is σ(x)·(1 + x·(1 − σ(x))).</summary>
    public static Variable<double> Swish(Variable<double> x)
    {
        var s = x.Value.Map(v => 1 / (1 + Math.Exp(-v)));
        var value = x.Value.PointwiseMultiply(s);
        // backward: the output's gradient times the local derivative, element by element.
        return Variable.Custom("swish", [x], value, (gradient, _) =>
            gradient.PointwiseMultiply(s + x.Value.PointwiseMultiply(s).PointwiseMultiply(1 - s)));
    }
    #endregion

    /// <summary>Checks Swish's gradient inside a small expression; returns the check's result.</summary>
    public static GradCheckResult Check()
    {
        #region check
        var x = Matrix<double>.Build.Random(3, 4, new MathNet.Numerics.Distributions.Normal(0, 2, new Random(1)));
        var result = GradCheck.Check(v => Swish(v[0] * 1.5).Sum(), x);
        Console.WriteLine(result);             // passed: the largest error and where it is
        #endregion
        return result;
    }

    /// <summary>A deliberately wrong derivative (σ(x) alone, forgetting the product rule), and its check.</summary>
    public static GradCheckResult CheckWrong()
    {
        var x = Matrix<double>.Build.Random(3, 4, new MathNet.Numerics.Distributions.Normal(0, 2, new Random(1)));
        #region wrong
        Variable<double> WrongSwish(Variable<double> v)
        {
            var s = v.Value.Map(e => 1 / (1 + Math.Exp(-e)));
            return Variable.Custom("wrong swish", [v], v.Value.PointwiseMultiply(s), (g, _) => g.PointwiseMultiply(s));
        }

        var verdict = GradCheck.Check(v => WrongSwish(v[0]).Sum(), x);   // FAILED, at the worst element
        #endregion
        return verdict;
    }
}
