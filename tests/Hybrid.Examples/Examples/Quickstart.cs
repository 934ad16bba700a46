#region program
// Program.cs of a console project: dotnet new console && dotnet add package Hybrid
using Hybrid;
using Hybrid.Data;

namespace Quickstart;

public static class Program
{
    public static void Main()
    {
        // The 60,000 training and 10,000 test digits, fetched once into ~/.cache/hybrid/mnist.
        var mnist = Mnist.Load();
        var model = Network.Sequential(784)
            .Dense(128, Activation.ReLU)
            .Dense(10)
            .Compile(Loss.SoftmaxCrossEntropy, Optimizer.Adam(0.001));
        const int epochs = 2;
        // A tenth of the training digits is held out as the validation set; the test set is used once, at the end.
        var history = model.Fit(mnist.Train, epochs: epochs, batchSize: 64, validationSplit: 0.1);
        foreach (var e in history.Epochs)
            Console.WriteLine($"epoch {e.Epoch}: validation accuracy {e.ValidationAccuracy:P2}");
        Console.WriteLine($"test accuracy {model.Evaluate(mnist.Test).Accuracy:P2}");
        model.Save("mnist.safetensors");
    }
}
#endregion
