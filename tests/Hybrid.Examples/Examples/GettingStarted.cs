using Hybrid.Data;
using Hybrid.Training;

namespace Hybrid.Examples;

/// <summary>Page 1: the fluent builder on MNIST, from C#.</summary>
public static class GettingStarted
{
    /// <summary>Loads MNIST, builds, trains and evaluates a 784-128-10 network; returns the evaluation and history.</summary>
    public static (Model Model, History History, Evaluation Test) Run(int epochs = 2, string? savePath = null)
    {
        #region load
        // The 60,000 training and 10,000 test digits, fetched once into ~/.cache/hybrid/mnist.
        var mnist = Mnist.Load();
        #endregion

        #region build
        var model = Network.Sequential(784)
            .Dense(128, Activation.ReLU)
            .Dense(10)
            .Compile(Loss.SoftmaxCrossEntropy, Optimizer.Adam(0.001));
        #endregion

        #region fit
        var history = model.Fit(mnist.Train, epochs: epochs, batchSize: 64, validation: mnist.Test);
        var test = model.Evaluate(mnist.Test);
        Console.WriteLine($"test accuracy {test.Accuracy:P2}, loss {test.Loss:F4}");
        #endregion

        if (savePath is not null)
        {
            #region save
            model.Save(savePath);                       // safetensors, PyTorch's names and layouts
            var again = Network.Load(savePath);         // the same network, ready to predict
            var classes = again.Predict(mnist.Test.Take(5)).Classes;
            #endregion
            Console.WriteLine($"reloaded; first five test digits classified as {string.Join(", ", classes)}");
        }

        return (model, history, test);
    }
}
