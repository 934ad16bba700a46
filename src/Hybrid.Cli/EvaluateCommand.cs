using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Hybrid.Training;
using Hybrid.Data;

namespace Hybrid.Cli;

/// <summary>
/// <c>hybrid evaluate MODEL [--json]</c>: a saved model's loss, accuracy, confusion matrix and per-class precision,
/// recall, F1 and support (with macro and weighted averages, as scikit-learn's classification_report) on the MNIST
/// test set: two decimals in the table, full precision in the JSON.
/// </summary>
static class EvaluateCommand
{
    public static Command Create()
    {
        var model = new Argument<FileInfo>("model") { Description = "A model saved with --save (safetensors), or a PyTorch state_dict with --activation." };
        var data = new Option<DirectoryInfo?>("--data") { Description = "A folder with the MNIST IDX files (default: the cache)." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object (every figure at full precision) and nothing else on standard output." };
        var provider = ProviderOptions.Provider();
        var threads = ProviderOptions.Threads();
        var allow = AllowNonFinite();
        var activation = ActivationOption();
        var command = new Command("evaluate", "Evaluate a saved model on the MNIST test set: accuracy, loss, confusion matrix, per-class precision, recall and F1.")
        {
            model, data, json, provider, threads, allow, activation,
        };
        command.SetAction(parse =>
        {
            ProviderOptions.Apply(parse.GetValue(provider)!, parse.GetValue(threads));
            var path = parse.GetValue(model)!.FullName;
            var loaded = Load(path, parse.GetValue(allow), parse.GetValue(activation));
            var test = Mnist.Load(parse.GetValue(data)?.FullName, Console.Error.WriteLine).Test;
            var result = loaded.Evaluate(test);
            if (parse.GetValue(json))
            {
                WriteJson(path, loaded, result);
                return 0;
            }

            Console.WriteLine($"model: {loaded.Description}");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"test accuracy {Recipe.Percent(result.Accuracy)}, test loss {result.Loss:F4} on {result.Count:N0} images"));
            if (result.ConfusionMatrix is { } m) Console.Write(Output.ConfusionText(m));
            if (result.PerClass.Count > 0) Console.Write(Report(result));
            return 0;
        });
        return command;
    }

    /// <summary>The per-class table, laid out as scikit-learn's classification_report, two decimals.</summary>
    public static string Report(Evaluation e)
    {
        var w = new StringWriter(CultureInfo.InvariantCulture);
        w.WriteLine($"{"class",12} {"precision",9} {"recall",9} {"f1-score",9} {"support",9}");
        foreach (var c in e.PerClass)
            w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{c.Class,12} {c.Precision,9:F2} {c.Recall,9:F2} {c.F1,9:F2} {c.Support,9}"));
        w.WriteLine();
        w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{"accuracy",12} {"",9} {"",9} {e.Accuracy,9:F2} {e.Count,9}"));
        foreach (var (name, a) in new[] { ("macro avg", e.MacroAverage!), ("weighted avg", e.WeightedAverage!) })
            w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name,12} {a.Precision,9:F2} {a.Recall,9:F2} {a.F1,9:F2} {a.Support,9}"));
        return w.ToString();
    }

    static void WriteJson(string path, Model model, Evaluation e)
    {
        var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            void Number(string name, double x)
            {
                if (double.IsFinite(x)) w.WriteNumber(name, x);
                else w.WriteNull(name);
            }

            void Figures(double precision, double recall, double f1, int support)
            {
                Number("precision", precision);
                Number("recall", recall);
                Number("f1", f1);
                w.WriteNumber("support", support);
            }

            w.WriteStartObject();
            w.WriteString("model", path);
            w.WriteString("summary", model.Description);
            w.WriteString("dataset", "mnist test");
            w.WriteNumber("count", e.Count);
            Number("test_accuracy", e.Accuracy);
            Number("test_loss", e.Loss);
            w.WriteStartArray("classes");
            foreach (var c in e.PerClass)
            {
                w.WriteStartObject();
                w.WriteNumber("class", c.Class);
                Figures(c.Precision, c.Recall, c.F1, c.Support);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            foreach (var (name, a) in new[] { ("macro_avg", e.MacroAverage), ("weighted_avg", e.WeightedAverage) })
            {
                if (a is null)
                {
                    w.WriteNull(name);
                    continue;
                }

                w.WriteStartObject(name);
                Figures(a.Precision, a.Recall, a.F1, a.Support);
                w.WriteEndObject();
            }

            if (e.ConfusionMatrix is { } m)
            {
                w.WriteStartArray("confusion_matrix");
                for (var i = 0; i < m.GetLength(0); i++)
                {
                    w.WriteStartArray();
                    for (var j = 0; j < m.GetLength(1); j++) w.WriteNumberValue(m[i, j]);
                    w.WriteEndArray();
                }

                w.WriteEndArray();
            }

            w.WriteEndObject();
        }

        buffer.WriteByte((byte)'\n');
        using var stdout = Console.OpenStandardOutput();
        stdout.Write(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>The --allow-non-finite flag of the commands that load a model.</summary>
    public static Option<bool> AllowNonFinite() =>
        new("--allow-non-finite") { Description = "Load a model whose weights hold NaN or infinities (refused by default), e.g. one saved with --save-diverged." };

    /// <summary>The --activation option of the commands that load a model: for a state_dict without Hybrid's architecture.</summary>
    public static Option<string?> ActivationOption()
    {
        var option = new Option<string?>("--activation")
        {
            Description = "For a safetensors file without Hybrid's architecture (a PyTorch state_dict of Linear layers, \"0.weight\", \"0.bias\", \"2.weight\", …): " +
                          "the activation between its layers, inferred from the tensors' names and shapes: relu, tanh, sigmoid, softplus or leakyrelu.",
        };
        option.AcceptOnlyFromAmong("relu", "tanh", "sigmoid", "softplus", "leakyrelu");
        return option;
    }

    /// <summary>Loads a model file, with the activation named by --activation (if any) for a file whose layers must be inferred.</summary>
    public static Model Load(string path, bool allowNonFinite, string? activation) =>
        Network.Load(path, allowNonFinite: allowNonFinite, activation: activation switch
        {
            null => null,
            "relu" => Activation.ReLU,
            "tanh" => Activation.Tanh,
            "sigmoid" => Activation.Sigmoid,
            "softplus" => Activation.Softplus,
            "leakyrelu" => Activation.LeakyReLU(),
            _ => throw new ArgumentException($"--activation: '{activation}' is not one of relu, tanh, sigmoid, softplus, leakyrelu"),
        });
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
        var activation = EvaluateCommand.ActivationOption();
        var command = new Command("predict", "Print the predicted digit and its probability for each picture, or each image of an IDX file.")
        {
            model, files, json, show, preprocess, allow, activation,
        };
        command.SetAction(parse =>
        {
            var loaded = EvaluateCommand.Load(parse.GetValue(model)!.FullName, parse.GetValue(allow), parse.GetValue(activation));
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
