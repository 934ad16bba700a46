using System.Text.Json;
using Hybrid.Imaging;
using MathNet.Numerics.LinearAlgebra;

namespace Hybrid.Serve;

/// <summary>A request the server refuses, with the HTTP status (400, 413, 415) and the message it answers with.</summary>
public sealed class RequestException(int status, string message) : Exception(message)
{
    /// <summary>The HTTP status: 400 bad request, 413 too large, 415 unsupported media type.</summary>
    public int Status { get; } = status;
}

/// <summary>What the model makes of one picture: the digit, every class's probability, what it saw and its hidden layer.</summary>
/// <param name="Digit">The most probable class.</param>
/// <param name="Probabilities">The probability of each class.</param>
/// <param name="Input">The 784 features the model was given (28 × 28, row by row).</param>
/// <param name="Hidden">The activations of the last hidden layer, or <c>null</c> for a model without one.</param>
/// <param name="HiddenLayer">The name of that layer, e.g. "ReLU".</param>
public sealed record PredictionResult(int Digit, IReadOnlyList<float> Probabilities, IReadOnlyList<float> Input, IReadOnlyList<float>? Hidden, string? HiddenLayer);

/// <summary>
/// Turns request bodies into predictions: a picture (PNG, JPEG, BMP, GIF) through the MNIST-style pipeline, or JSON
/// holding 784 numbers in [0, 1] used as they are. Every check happens before any work: the body's size, the
/// declared pixels of a picture, the count and range of the numbers. The model is used under a lock (one prediction
/// of a small MLP takes microseconds; the pipeline, which runs outside it, takes the time).
/// </summary>
public sealed class Predictor
{
    readonly Model model;
    readonly int hiddenIndex;
    readonly object gate = new();

    /// <summary>A predictor over a model taking 784 inputs (28 × 28 images).</summary>
    /// <exception cref="ArgumentException">The model does not take 784 inputs.</exception>
    public Predictor(Model model, ImageLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.Inputs != MnistStyle.Side * MnistStyle.Side)
            throw new ArgumentException($"serve: the page draws 28×28 digits (784 inputs), but the model takes {model.Inputs}.", nameof(model));
        this.model = model;
        Limits = limits ?? new ImageLimits(MaxPixels: 16_000_000, MaxBytes: 8L << 20);
        // The last activation before the output layer: what the hidden layer hands on.
        var layers = model.Layers;
        var lastLinear = Enumerable.Range(0, layers.Count).Last(i => layers[i].StartsWith("Linear", StringComparison.Ordinal));
        hiddenIndex = Enumerable.Range(0, lastLinear).Where(i => !layers[i].StartsWith("Linear", StringComparison.Ordinal) && !layers[i].StartsWith("Dropout", StringComparison.Ordinal))
            .DefaultIfEmpty(-1).Last();
    }

    /// <summary>The limits on pictures: declared pixels and bytes.</summary>
    public ImageLimits Limits { get; }

    /// <summary>The model.</summary>
    public Model Model => model;

    /// <summary>A prediction for a picture file's bytes.</summary>
    /// <exception cref="RequestException">413 when the picture is too large, 400 when it is not a readable picture or holds no ink.</exception>
    public PredictionResult FromImage(byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        if (bytes.LongLength > Limits.MaxBytes) throw new RequestException(413, $"the picture has {bytes.LongLength:N0} bytes; the limit is {Limits.MaxBytes:N0}.");
        float[] features;
        try
        {
            var header = ImageHeader.Read(bytes, "the picture");
            if ((long)header.Width * header.Height > Limits.MaxPixels)
                throw new RequestException(413, $"the picture declares {header.Width:N0}×{header.Height:N0} pixels; the limit is {Limits.MaxPixels:N0} pixels.");
            features = MnistStyle.Prepare(ImageFile.Decode(bytes, greyscale: true, "the picture", Limits), "the picture");
        }
        catch (InvalidDataException e)
        {
            throw new RequestException(400, e.Message);
        }

        return FromFeatures(features);
    }

    /// <summary>A prediction for JSON: an array of 784 numbers in [0, 1], or an object with such an array as "pixels".</summary>
    /// <exception cref="RequestException">400 naming what is wrong: not JSON, not 784 numbers, a number out of range.</exception>
    public PredictionResult FromJson(byte[] json)
    {
        ArgumentNullException.ThrowIfNull(json);
        var features = new float[MnistStyle.Side * MnistStyle.Side];
        try
        {
            using var document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 4 });
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object)
                root = root.TryGetProperty("pixels", out var pixels) ? pixels : throw new RequestException(400, "the JSON object has no \"pixels\" array of 784 numbers.");
            if (root.ValueKind != JsonValueKind.Array) throw new RequestException(400, $"expected an array of 784 numbers, found a JSON {root.ValueKind.ToString().ToLowerInvariant()}.");
            var count = root.GetArrayLength();
            if (count != features.Length) throw new RequestException(400, $"expected 784 numbers (28×28), found {count}.");
            var i = 0;
            foreach (var item in root.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.Number || !item.TryGetDouble(out var v))
                    throw new RequestException(400, $"pixel {i} is {item.ValueKind.ToString().ToLowerInvariant()}, not a number.");
                if (!(v >= 0 && v <= 1)) throw new RequestException(400, $"pixel {i} is {v}; pixels are numbers in [0, 1].");
                features[i++] = (float)v;
            }
        }
        catch (JsonException e)
        {
            throw new RequestException(400, $"the body is not valid JSON: {e.Message}");
        }

        return FromFeatures(features);
    }

    /// <summary>A prediction for 784 features as they are.</summary>
    public PredictionResult FromFeatures(float[] features)
    {
        ArgumentNullException.ThrowIfNull(features);
        var x = Matrix<float>.Build.DenseOfRowMajor(1, features.Length, features);
        lock (gate)
        {
            var probabilities = model.Predict(x).Probabilities.Row(0).ToArray();
            float[]? hidden = hiddenIndex < 0 ? null : model.LayerOutputs(x)[hiddenIndex].Row(0).ToArray();
            var digit = Array.IndexOf(probabilities, probabilities.Max());
            return new PredictionResult(digit, probabilities, features, hidden, hiddenIndex < 0 ? null : model.Layers[hiddenIndex]);
        }
    }
}
