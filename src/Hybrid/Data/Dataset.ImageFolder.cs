using Hybrid.Imaging;

namespace Hybrid.Data;

/// <summary>How the classes of an image folder become targets (Keras' <c>label_mode</c>).</summary>
public enum LabelMode
{
    /// <summary>Binary for two classes, categorical for more.</summary>
    Auto,

    /// <summary>One-hot rows, one column per class (for softmax cross-entropy).</summary>
    Categorical,

    /// <summary>One column holding 0 or 1 (for one sigmoid output and binary cross-entropy); needs exactly two classes.</summary>
    Binary,
}

/// <summary>How each picture of an image folder becomes a sample's features.</summary>
public enum ImagePreparation
{
    /// <summary>Resized to the requested size (area averaging when shrinking, bilinear when enlarging), aspect ratio not kept, as Keras does.</summary>
    Resize,

    /// <summary>The <see cref="MnistStyle"/> pipeline (grey, background removed, cropped, fitted and centred in 28 × 28): for pictures of digits.</summary>
    MnistStyle,
}

/// <summary>The samples of an image folder, with the class names in label order and the file of every sample.</summary>
/// <param name="Train">The training samples (all of them when no validation split was asked for).</param>
/// <param name="Validation">The held-out samples, or <c>null</c>.</param>
/// <param name="Classes">The class names (the subfolders' names), sorted; label i is Classes[i].</param>
/// <param name="TrainFiles">The file of each training sample, in sample order.</param>
/// <param name="ValidationFiles">The file of each validation sample, or an empty list.</param>
public sealed record ImageFolderData(Dataset Train, Dataset? Validation, IReadOnlyList<string> Classes, IReadOnlyList<string> TrainFiles, IReadOnlyList<string> ValidationFiles);

public sealed partial class Dataset
{
    /// <summary>The picture files an image folder's classes hold: these extensions, in any case.</summary>
    public static IReadOnlyList<string> ImageExtensions { get; } = [".png", ".jpg", ".jpeg", ".bmp", ".gif"];

    /// <summary>
    /// Loads a folder with one subfolder of pictures per class, the convention of torchvision's <c>ImageFolder</c> and
    /// Keras' <c>image_dataset_from_directory</c>: the classes are the subfolders' names sorted (ordinal), each file
    /// with a picture extension is a sample of its folder's class, features are the pixels in [0, 1] row by row
    /// (channels interleaved for colour). A seeded shuffle splits off <paramref name="validationSplit"/> of the samples.
    /// </summary>
    /// <param name="path">The folder.</param>
    /// <param name="width">Width of every sample, in pixels.</param>
    /// <param name="height">Height of every sample, in pixels.</param>
    /// <param name="greyscale">One grey channel per pixel (true) or three colour channels (false).</param>
    /// <param name="validationSplit">The part of the samples held out for validation, in [0, 1).</param>
    /// <param name="seed">The seed of the split's shuffle.</param>
    /// <param name="labels">Binary (one column) or categorical (one-hot) targets; by default binary for two classes.</param>
    /// <param name="preparation">Resize each picture, or run the MNIST-style pipeline (grey 28 × 28 only).</param>
    /// <param name="limits">Size limits for each file.</param>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="InvalidDataException">It has no class subfolders, a class holds no picture, or a file is not a readable picture (the message names it).</exception>
    /// <exception cref="ArgumentException">A setting is out of range, e.g. binary labels for three classes.</exception>
    public static ImageFolderData FromImageFolder(
        string path, int width = 28, int height = 28, bool greyscale = true, double validationSplit = 0, int seed = 1,
        LabelMode labels = LabelMode.Auto, ImagePreparation preparation = ImagePreparation.Resize, ImageLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (width < 1 || height < 1) throw new ArgumentOutOfRangeException(nameof(width), $"FromImageFolder: {width}×{height} pixels; both sides must be at least 1.");
        if (!(validationSplit >= 0 && validationSplit < 1))
            throw new ArgumentOutOfRangeException(nameof(validationSplit), validationSplit, "FromImageFolder: the validation split must be in [0, 1).");
        if (preparation == ImagePreparation.MnistStyle && (width, height, greyscale) != (28, 28, true))
            throw new ArgumentException($"FromImageFolder: the MNIST-style preparation makes grey 28×28 images, not {width}×{height} {(greyscale ? "grey" : "colour")}.", nameof(preparation));
        if (!Directory.Exists(path)) throw new DirectoryNotFoundException($"FromImageFolder: there is no folder {path}.");
        var classes = Directory.GetDirectories(path).Select(Path.GetFileName).Where(n => !n!.StartsWith('.')).Order(StringComparer.Ordinal).ToArray();
        if (classes.Length == 0)
            throw new InvalidDataException($"{path}: no class subfolders; an image folder holds one subfolder of pictures per class (e.g. {path}/cats/1.png, {path}/dogs/1.png).");
        var mode = labels == LabelMode.Auto ? classes.Length == 2 ? LabelMode.Binary : LabelMode.Categorical : labels;
        if (mode == LabelMode.Binary && classes.Length != 2)
            throw new ArgumentException($"{path}: binary labels need two classes; the folder has {classes.Length} ({string.Join(", ", classes)}).", nameof(labels));

        var files = new List<(string File, int Label)>();
        for (var c = 0; c < classes.Length; c++)
        {
            var folder = Path.Combine(path, classes[c]!);
            var pictures = Directory.GetFiles(folder)
                .Where(f => !Path.GetFileName(f).StartsWith('.') && ImageExtensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
                .Order(StringComparer.Ordinal).ToArray();
            if (pictures.Length == 0)
                throw new InvalidDataException($"{folder}: class '{classes[c]}' holds no picture ({string.Join(", ", ImageExtensions)}).");
            files.AddRange(pictures.Select(f => (f, c)));
        }

        var channels = greyscale ? 1 : 3;
        var features = width * height * channels;
        var values = new float[(long)files.Count * features];
        try
        {
            Parallel.For(0, files.Count, i =>
            {
                var image = ImageFile.Read(files[i].File, greyscale, limits);
                var pixels = preparation == ImagePreparation.MnistStyle ? Imaging.MnistStyle.Prepare(image, files[i].File) : Fit(image, width, height).ToArray();
                pixels.CopyTo(values, (long)i * features);
            });
        }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0)
        {
            // The first bad file's own exception, as a sequential loop would have thrown it.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
        }

        var all = mode == LabelMode.Binary
            ? new Dataset(values, features, files.Select(f => (float)f.Label).ToArray(), 1, files.Select(f => f.Label).ToArray())
            : FromLabels(values, features, files.Select(f => f.Label).ToArray(), classes.Length);
        var names = files.Select(f => f.File).ToArray();
        if (validationSplit == 0) return new ImageFolderData(all, null, classes!, names, []);
        var order = Permutation(files.Count, new Random(seed));
        var held = (int)Math.Round(files.Count * validationSplit);
        if (held == 0 || held == files.Count)
            throw new ArgumentException($"{path}: a validation split of {validationSplit} of {files.Count} pictures leaves one part empty.", nameof(validationSplit));
        var train = order[..^held];
        var validation = order[^held..];
        return new ImageFolderData(all.Select(train), all.Select(validation), classes!, train.Select(i => names[i]).ToArray(), validation.Select(i => names[i]).ToArray());
    }

    static Image Fit(Image image, int width, int height) =>
        (image.Width, image.Height) == (width, height) ? image
        : image.Width >= width && image.Height >= height ? ImageOps.Resize(image, width, height)
        : ImageOps.ResizeBilinear(image, width, height);
}
