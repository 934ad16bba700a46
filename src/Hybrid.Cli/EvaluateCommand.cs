using System.CommandLine;
using System.Globalization;
using Hybrid.Data;

namespace Hybrid.Cli;

/// <summary><c>hybrid evaluate MODEL</c>: a saved model's loss, accuracy and confusion matrix on the MNIST test set.</summary>
static class EvaluateCommand
{
    public static Command Create()
    {
        var model = new Argument<FileInfo>("model") { Description = "A model saved with --save (safetensors)." };
        var data = new Option<DirectoryInfo?>("--data") { Description = "A folder with the MNIST IDX files (default: the cache)." };
        var provider = ProviderOptions.Provider();
        var threads = ProviderOptions.Threads();
        var allow = AllowNonFinite();
        var command = new Command("evaluate", "Evaluate a saved model on the MNIST test set.") { model, data, provider, threads, allow };
        command.SetAction(parse =>
        {
            ProviderOptions.Apply(parse.GetValue(provider)!, parse.GetValue(threads));
            var loaded = Network.Load(parse.GetValue(model)!.FullName, allowNonFinite: parse.GetValue(allow));
            var test = Mnist.Load(parse.GetValue(data)?.FullName, Console.Error.WriteLine).Test;
            var result = loaded.Evaluate(test);
            Console.WriteLine($"model: {loaded.Description}");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"test accuracy {Recipe.Percent(result.Accuracy)}, test loss {result.Loss:F4} on {result.Count:N0} images"));
            if (result.ConfusionMatrix is { } m) Console.Write(Output.ConfusionText(m));
            return 0;
        });
        return command;
    }

    /// <summary>The --allow-non-finite flag of the commands that load a model.</summary>
    public static Option<bool> AllowNonFinite() =>
        new("--allow-non-finite") { Description = "Load a model whose weights hold NaN or infinities (refused by default), e.g. one saved with --save-diverged." };
}

/// <summary><c>hybrid predict MODEL FILE…</c>: the class and probability of every image in an IDX file, or of each picture file.</summary>
static class PredictCommand
{
    public static Command Create()
    {
        var model = new Argument<FileInfo>("model") { Description = "A model saved with --save (safetensors)." };
        var files = new Argument<FileInfo[]>("files")
        {
            Description = "Pictures (PNG, JPEG, BMP, GIF) of digits, or one IDX file of 28×28 images (raw or .gz), as MNIST's.", Arity = ArgumentArity.OneOrMore,
        };
        var (json, show, preprocess) = PredictImages.Options();
        var allow = EvaluateCommand.AllowNonFinite();
        var command = new Command("predict", "Print the predicted digit and its probability for each picture, or each image of an IDX file.") { model, files, json, show, preprocess, allow };
        command.SetAction(parse =>
        {
            var loaded = Network.Load(parse.GetValue(model)!.FullName, allowNonFinite: parse.GetValue(allow));
            var inputs = parse.GetValue(files)!;
            if (PredictImages.ArePictures(inputs))
                return PredictImages.Run(loaded, inputs, parse.GetValue(json), parse.GetValue(show)?.FullName, parse.GetValue(preprocess)!);
            if (inputs.Length > 1) throw new ArgumentException("predict: give pictures, or one IDX file.");
            var path = inputs[0].FullName;
            var images = Core.Idx.read(path);
            var pixels = images.Dimensions.Skip(1).Aggregate(1, (a, d) => a * d);
            if (pixels != loaded.Inputs)
                throw new InvalidDataException($"{path}: images of {pixels} pixels, but the model takes {loaded.Inputs}.");
            var count = images.Dimensions[0];
            Core.InputFile.checkAllocation(path, "images", 4L * count * pixels);
            var features = MathNet.Numerics.LinearAlgebra.Matrix<float>.Build.Dense(count, pixels, (i, j) => images.Data[i * pixels + j] / 255f);
            var prediction = loaded.Predict(features);
            Console.WriteLine("image\tclass\tprobability");
            for (var i = 0; i < count; i++)
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{i}\t{prediction.Classes[i]}\t{prediction.Probabilities[i, prediction.Classes[i]]:F4}"));
            return 0;
        });
        return command;
    }
}
