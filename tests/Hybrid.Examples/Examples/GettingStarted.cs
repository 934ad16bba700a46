using Hybrid.Data;
using Hybrid.Training;

namespace Hybrid.Examples;

/// <summary>Page 1: the fluent builder on MNIST, from C#.</summary>
public static class GettingStarted
{
    /// <summary>Loads MNIST, builds, trains and evaluates a 784-128-10 network; returns the evaluation and history.</summary>
    /// <param name="epochs">Epochs to train.</param>
    /// <param name="savePath">Where to save the model and load it back (a checkpoint is written beside it, then deleted); nothing is saved without it.</param>
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
        // A tenth of the training digits (the same share of every digit, chosen with the model's seed) is held out
        // and never trained on: it is the validation set each epoch is measured on. The test set is used once, at the end.
        var history = model.Fit(mnist.Train, epochs: epochs, batchSize: 64, validationSplit: 0.1);
        foreach (var e in history.Epochs)
            Console.WriteLine($"epoch {e.Epoch}: training loss {e.Loss:F4}, validation accuracy {e.ValidationAccuracy:P2}");
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

            var checkpointPath = Path.ChangeExtension(savePath, ".ckpt.safetensors");
            #region resume
            model.SaveCheckpoint(checkpointPath);       // the weights and all that training needs to go on
            var resumed = Network.Load(checkpointPath); // epochs, optimizer moments, schedule, shuffling: as they were
            var more = resumed.Fit(mnist.Train, epochs: 1, batchSize: 64, validationSplit: 0.1);
            #endregion
            Console.WriteLine($"resumed after {model.EpochsTrained} epochs; epoch {more.Epochs[0].Epoch}: validation accuracy {more.Epochs[0].ValidationAccuracy:P2}");
            File.Delete(checkpointPath);
        }

        return (model, history, test);
    }
}
