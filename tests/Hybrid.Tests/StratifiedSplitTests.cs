using Hybrid.Data;

namespace Hybrid.Tests;

/// <summary>Dataset.StratifiedSplit: each class split in the same proportion, seeded, nothing lost or doubled.</summary>
public class StratifiedSplitTests
{
    [Fact]
    public void Each_digit_is_held_out_in_proportion_and_the_parts_cover_the_data_once()
    {
        var train = Fixtures.Mnist.Train;
        var (validation, rest) = train.StratifiedSplit(0.1, seed: 3);
        Assert.Equal(train.Count, validation.Count + rest.Count);
        var all = train.Labels!.GroupBy(l => l).ToDictionary(g => g.Key, g => g.Count());
        var held = validation.Labels!.GroupBy(l => l).ToDictionary(g => g.Key, g => g.Count());
        foreach (var (digit, count) in all) Assert.Equal((int)Math.Round(count * 0.1), held[digit]);

        // Every sample lands in exactly one part: compare the multisets of (label, position-weighted pixel sum).
        static (int, double) Key(Dataset d, int i) => (d.Labels![i], d.Sample(i).ToArray().Select((x, j) => (double)x * (j + 1)).Sum());
        var whole = Enumerable.Range(0, train.Count).Select(i => Key(train, i)).Order().ToArray();
        var parts = Enumerable.Range(0, validation.Count).Select(i => Key(validation, i))
            .Concat(Enumerable.Range(0, rest.Count).Select(i => Key(rest, i))).Order().ToArray();
        Assert.Equal(whole, parts);
    }

    [Fact]
    public void The_same_seed_gives_the_same_split_and_another_seed_another()
    {
        var data = Fixtures.Blobs(300);
        var (a, _) = data.StratifiedSplit(0.2, seed: 1);
        var (b, _) = data.StratifiedSplit(0.2, seed: 1);
        var (c, _) = data.StratifiedSplit(0.2, seed: 2);
        Assert.Equal(a.Features(), b.Features());
        Assert.NotEqual(a.Features(), c.Features());
        Assert.Equal(30, a.Labels!.Count(l => l == 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => data.StratifiedSplit(1.0));
        Assert.Throws<ArgumentOutOfRangeException>(() => data.StratifiedSplit(double.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => data.Take(3).StratifiedSplit(0.01));
    }
}
