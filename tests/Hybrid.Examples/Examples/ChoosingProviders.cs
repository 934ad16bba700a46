using Hybrid.Data;

namespace Hybrid.Examples;

/// <summary>Page 11: choosing the matrix provider.</summary>
public static class ChoosingProviders
{
    /// <summary>Trains one epoch of a small network on each available provider and returns (provider, accuracy, seconds).</summary>
    public static IReadOnlyList<(string Provider, double Accuracy, double Seconds)> Compare(int trainImages = 20000)
    {
        var mnist = Mnist.Load();
        var results = new List<(string, double, double)>();
        foreach (var kind in new[] { ProviderKind.Managed, ProviderKind.Simd, ProviderKind.OpenBlas })
        {
            if (kind == ProviderKind.OpenBlas && !Providers.IsAvailable(ProviderKind.OpenBlas)) continue;
            #region use
            Providers.Use(kind);                 // every model from now on (or HYBRID_PROVIDER=simd, or --provider)
            Console.WriteLine(Providers.Describe());
            #endregion
            var model = Network.Sequential(784).Dense(128, Activation.ReLU).Dense(10)
                .Compile(Loss.SoftmaxCrossEntropy, Optimizer.Adam(0.001));
            var history = model.Fit(mnist.Train.Take(trainImages), epochs: 1, batchSize: 64);
            results.Add((kind.ToString(), model.Evaluate(mnist.Test).Accuracy, history.Epochs[0].Seconds));
        }

        #region best
        Providers.UseBest();                     // OpenBLAS when installed, else the pure .NET SIMD provider
        #endregion
        return results;
    }

    /// <summary>The builder's way: one model on one provider, whatever the process-wide choice.</summary>
    public static Model OnSimd()
    {
        #region compile
        var model = Network.Sequential(784).Dense(128, Activation.ReLU).Dense(10)
            .Compile(Loss.SoftmaxCrossEntropy, Optimizer.Adam(0.001), provider: ProviderKind.Simd);
        #endregion
        return model;
    }
}
