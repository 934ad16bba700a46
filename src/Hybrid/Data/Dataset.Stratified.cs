namespace Hybrid.Data;

public sealed partial class Dataset
{
    /// <summary>
    /// Splits the samples into a first part holding <paramref name="fraction"/> of <b>each class</b> (rounded per class)
    /// and a second part holding the rest, each class's samples chosen by a shuffle seeded with <paramref name="seed"/>;
    /// both parts keep the samples in their original order. Use it to hold out validation data that has the
    /// classes in the proportions of the whole. A data set without class labels (regression) is split at random, as
    /// <see cref="Split"/> does, but with the parts in their original order.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The fraction is not strictly between 0 and 1, or it leaves one part empty.</exception>
    public (Dataset First, Dataset Second) StratifiedSplit(double fraction, int seed = 1)
    {
        if (!(fraction > 0 && fraction < 1))
            throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "Dataset.StratifiedSplit: the fraction must be strictly between 0 and 1.");
        var rng = new Random(seed);
        var held = new bool[Count];
        var groups = labels is null
            ? [Enumerable.Range(0, Count).ToArray()]
            : Enumerable.Range(0, Count).GroupBy(i => labels[i]).OrderBy(g => g.Key).Select(g => g.ToArray()).ToArray();
        foreach (var members in groups)
        {
            var order = Permutation(members.Length, rng);
            var cut = (int)Math.Round(members.Length * fraction, MidpointRounding.AwayFromZero);
            for (var k = 0; k < cut; k++) held[members[order[k]]] = true;
        }

        var first = Enumerable.Range(0, Count).Where(i => held[i]).ToArray();
        var second = Enumerable.Range(0, Count).Where(i => !held[i]).ToArray();
        if (first.Length == 0 || second.Length == 0)
            throw new ArgumentOutOfRangeException(nameof(fraction), fraction,
                $"Dataset.StratifiedSplit: {fraction} of each class of {Count} samples leaves one part empty.");
        return (Select(first), Select(second));
    }
}
