using System.Runtime.CompilerServices;
using Hybrid.Core;

namespace Hybrid.Data;

public sealed partial class Dataset
{
    // The samples' nonzeros, found on the first call of Nonzeros (the features never change), or none when there are
    // too many for the sparse products (then null).
    SparseRows<float>? nonzeros;
    double nonzerosDensity = double.NaN; // the maxDensity they were found for (NaN: not yet)
    static readonly object NonzerosGate = new();

    /// <summary>
    /// The nonzeros of every sample, found once (a fused step gathers each batch's sparse index from them instead of
    /// filling the batch and searching its rows: FusedTrainer.Step with a SparseBatch), or null when more than
    /// <paramref name="maxDensity"/> of all the features are nonzero (most batches would then take the dense products).
    /// The lists cost 8 bytes a nonzero: for MNIST's 60,000 digits (a fifth nonzero) 72 MB beside the features' 188 MB.
    /// </summary>
    internal SparseRows<float>? Nonzeros(double maxDensity)
    {
        lock (NonzerosGate)
        {
            if (nonzerosDensity != maxDensity)
            {
                nonzeros = FindNonzeros(features, FeatureCount, Count, maxDensity);
                nonzerosDensity = maxDensity;
            }

            return nonzeros;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // one pass over every feature
    static SparseRows<float>? FindNonzeros(float[] features, int width, int count, double maxDensity)
    {
        // The count first, so the lists are allocated once at their size (and not at all for dense data).
        long total = 0;
        foreach (var v in features)
            if (v != 0f) total++;
        if (total > maxDensity * features.Length || total > Array.MaxLength) return null;
        var starts = new int[count + 1];
        var columns = new int[total];
        var values = new float[total];
        var at = 0;
        for (var i = 0; i < count; i++)
        {
            starts[i] = at;
            var row = features.AsSpan(i * width, width);
            // In increasing column order, the test ISparseKernels.Index makes (v != 0: a NaN is kept, −0 is not).
            for (var j = 0; j < row.Length; j++)
                if (row[j] != 0f)
                {
                    columns[at] = j;
                    values[at++] = row[j];
                }
        }

        starts[count] = at;
        return new SparseRows<float>(width, starts, columns, values);
    }
}
