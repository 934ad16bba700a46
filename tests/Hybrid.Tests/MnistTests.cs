using Hybrid.Data;

namespace Hybrid.Tests;

public class MnistTests
{
    static string FolderWith(Func<string, byte[], byte[]> change)
    {
        var folder = Path.Combine(Path.GetTempPath(), $"hybrid-mnist-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        foreach (var name in new[] { "train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte" })
        {
            // Small but well-formed files: 3 images of 28×28 and 3 labels.
            var bytes = name.Contains("images")
                ? [0, 0, 8, 3, 0, 0, 0, 3, 0, 0, 0, 28, 0, 0, 0, 28, .. new byte[3 * 784]]
                : new byte[] { 0, 0, 8, 1, 0, 0, 0, 3, 7, 1, 9 };
            File.WriteAllBytes(Path.Combine(folder, name), change(name, bytes));
        }

        return folder;
    }

    [Fact]
    public void A_folder_of_IDX_files_loads_with_pixels_in_0_1_and_one_hot_targets()
    {
        var folder = FolderWith((_, b) => b);
        var data = Mnist.Load(folder);
        Assert.Equal(3, data.Train.Count);
        Assert.Equal(784, data.Train.FeatureCount);
        Assert.Equal([7, 1, 9], data.Test.Labels);
        Assert.Equal(1f, data.Test.Targets()[0, 7]);
        Directory.Delete(folder, true);
    }

    [Fact]
    public void A_truncated_image_file_is_named_with_what_is_missing()
    {
        var folder = FolderWith((name, b) => name == "train-images-idx3-ubyte" ? b[..^100] : b);
        var e = Assert.Throws<InvalidDataException>(() => Mnist.Load(folder));
        Assert.Contains("train-images-idx3-ubyte", e.Message);
        Assert.Contains("truncated", e.Message);
        Directory.Delete(folder, true);
    }

    [Fact]
    public void A_corrupt_label_file_is_named()
    {
        var folder = FolderWith((name, b) => name == "t10k-labels-idx1-ubyte" ? [0x1f, 0x00, .. b[2..]] : b);
        var e = Assert.Throws<InvalidDataException>(() => Mnist.Load(folder));
        Assert.Contains("t10k-labels-idx1-ubyte", e.Message);
        Directory.Delete(folder, true);
    }

    [Fact]
    public void Images_and_labels_that_disagree_in_count_are_named()
    {
        var folder = FolderWith((name, b) => name == "train-labels-idx1-ubyte" ? [0, 0, 8, 1, 0, 0, 0, 2, 7, 1] : b);
        var e = Assert.Throws<InvalidDataException>(() => Mnist.Load(folder));
        Assert.Contains("3 images", e.Message);
        Assert.Contains("2 labels", e.Message);
        Directory.Delete(folder, true);
    }

    [Fact]
    public void A_missing_file_is_named()
    {
        var folder = FolderWith((_, b) => b);
        File.Delete(Path.Combine(folder, "t10k-images-idx3-ubyte"));
        var e = Assert.Throws<FileNotFoundException>(() => Mnist.Load(folder));
        Assert.Contains("t10k-images-idx3-ubyte", e.Message);
        Directory.Delete(folder, true);
    }
}
