using Hybrid.Data;
using MathNet.Numerics.LinearAlgebra;

namespace Hybrid.Tests;

public class ToyDataTests
{
    [Fact]
    public void Truth_tables_hold_the_four_cases_with_one_binary_target()
    {
        var xor = ToyData.Xor();

        Assert.Equal(4, xor.Count);
        Assert.Equal(1, xor.TargetCount);
        Assert.Equal([0, 1, 1, 0], xor.Labels!);
        Assert.Equal([0, 0, 0, 1], ToyData.And().Labels!);
        Assert.Equal([0, 1, 1, 1], ToyData.Or().Labels!);
        Assert.Equal(1f, xor.Targets()[1, 0]);
    }

    [Theory]
    [InlineData("moons")]
    [InlineData("circles")]
    [InlineData("spirals")]
    public void Point_clouds_are_balanced_two_class_sets_that_repeat_with_their_seed(string name)
    {
        Dataset Make(int seed) => name switch
        {
            "moons" => ToyData.Moons(100, seed: seed),
            "circles" => ToyData.Circles(100, seed: seed),
            _ => ToyData.Spirals(100, seed: seed),
        };
        var data = Make(3);

        Assert.Equal(100, data.Count);
        Assert.Equal(2, data.FeatureCount);
        Assert.Equal(50, data.Labels!.Count(l => l == 1));
        Assert.Equal(data.Features(), Make(3).Features());
        Assert.NotEqual(data.Features(), Make(4).Features());
    }

    [Fact]
    public void Circles_put_class_one_inside_class_zero()
    {
        var data = ToyData.Circles(400, noise: 0, factor: 0.4);
        var x = data.Features();
        for (var i = 0; i < data.Count; i++)
        {
            var r = Math.Sqrt(x[i, 0] * x[i, 0] + x[i, 1] * x[i, 1]);
            Assert.Equal(data.Labels![i] == 1 ? 0.4 : 1.0, r, 5);
        }
    }

    [Fact]
    public void Bad_settings_and_labels_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ToyData.Moons(1));
        Assert.Throws<ArgumentOutOfRangeException>(() => ToyData.Moons(10, noise: -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => ToyData.Circles(10, factor: 1.5));
        var bad = Assert.Throws<ArgumentException>(() => Dataset.FromBinaryLabels(Matrix<float>.Build.Dense(2, 2), [0, 2]));
        Assert.Contains("binary label 2 of sample 1", bad.Message);
    }
}
