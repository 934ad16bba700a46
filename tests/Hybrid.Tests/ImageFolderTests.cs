using Hybrid.Data;
using Hybrid.Imaging;
using Xunit.Abstractions;

namespace Hybrid.Tests;

/// <summary>Dataset.FromImageFolder: torchvision/Keras conventions, named errors, and a binary classifier trained from a folder of PNGs.</summary>
public class ImageFolderTests(ITestOutputHelper output)
{
    static string Folder() => Directory.CreateTempSubdirectory("hybrid-folder-").FullName;

    static void Write(string folder, string @class, string name, Image image)
    {
        Directory.CreateDirectory(Path.Combine(folder, @class));
        ImageFile.Save(image, Path.Combine(folder, @class, name));
    }

    [Fact]
    public void Classes_are_the_subfolders_sorted_and_every_picture_is_a_sample_of_its_folder()
    {
        var folder = Folder();
        try
        {
            Write(folder, "zebra", "a.png", Image.Grey(10, 10, 1f));
            Write(folder, "ant", "b.jpg", Image.Grey(30, 20, 0f));
            Write(folder, "ant", "a.png", new Image(8, 8, 3, Enumerable.Repeat(0.5f, 192).ToArray()));
            Write(folder, "moth", "c.png", Image.Grey(4, 4, 0.25f));
            File.WriteAllText(Path.Combine(folder, "ant", "notes.txt"), "not a picture: skipped by its extension");
            var data = Dataset.FromImageFolder(folder, width: 6, height: 5);
            Assert.Equal(["ant", "moth", "zebra"], data.Classes);
            Assert.Equal([0, 0, 1, 2], data.Train.Labels!);
            Assert.Equal(3, data.Train.TargetCount);
            Assert.Equal(30, data.Train.FeatureCount);
            Assert.Equal(0.5f, data.Train.Sample(0)[0], 0.01f);
            Assert.Equal(0f, data.Train.Sample(1)[17], 0.02f);
            Assert.Equal(0.25f, data.Train.Sample(2)[29], 0.01f);
            Assert.EndsWith(Path.Combine("ant", "a.png"), data.TrainFiles[0]);
            var colour = Dataset.FromImageFolder(folder, width: 2, height: 2, greyscale: false);
            Assert.Equal(12, colour.Train.FeatureCount);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void The_split_is_seeded_and_two_classes_get_one_binary_target()
    {
        var folder = Folder();
        try
        {
            for (var i = 0; i < 20; i++)
            {
                Write(folder, "dark", $"{i:D2}.png", Image.Grey(4, 4, i / 100f));
                Write(folder, "light", $"{i:D2}.png", Image.Grey(4, 4, 1 - i / 100f));
            }

            var a = Dataset.FromImageFolder(folder, 4, 4, validationSplit: 0.25, seed: 7);
            var b = Dataset.FromImageFolder(folder, 4, 4, validationSplit: 0.25, seed: 7);
            var c = Dataset.FromImageFolder(folder, 4, 4, validationSplit: 0.25, seed: 8);
            Assert.Equal((30, 10), (a.Train.Count, a.Validation!.Count));
            Assert.Equal(a.ValidationFiles, b.ValidationFiles);
            Assert.NotEqual(a.ValidationFiles, c.ValidationFiles);
            Assert.Empty(a.TrainFiles.Intersect(a.ValidationFiles));
            Assert.Equal(1, a.Train.TargetCount);
            for (var i = 0; i < a.Train.Count; i++)
                Assert.Equal(a.TrainFiles[i].Contains("light") ? 1 : 0, a.Train.Labels![i]);
            var categorical = Dataset.FromImageFolder(folder, 4, 4, labels: LabelMode.Categorical);
            Assert.Equal(2, categorical.Train.TargetCount);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void A_bad_folder_a_missing_class_and_a_broken_picture_are_named()
    {
        var folder = Folder();
        try
        {
            Assert.Throws<DirectoryNotFoundException>(() => Dataset.FromImageFolder(Path.Combine(folder, "none")));
            Assert.Contains("no class subfolders", Assert.Throws<InvalidDataException>(() => Dataset.FromImageFolder(folder)).Message);
            Write(folder, "one", "a.png", Image.Grey(4, 4));
            Directory.CreateDirectory(Path.Combine(folder, "two"));
            Assert.Contains("class 'two' holds no picture", Assert.Throws<InvalidDataException>(() => Dataset.FromImageFolder(folder)).Message);
            File.WriteAllText(Path.Combine(folder, "two", "broken.png"), "not a png");
            var e = Assert.Throws<InvalidDataException>(() => Dataset.FromImageFolder(folder));
            Assert.Contains(Path.Combine("two", "broken.png"), e.Message);
            Write(folder, "three", "a.png", Image.Grey(4, 4));
            Assert.Throws<ArgumentException>(() => Dataset.FromImageFolder(folder, labels: LabelMode.Binary));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void A_binary_classifier_trained_from_a_folder_of_mnist_pngs_of_threes_and_eights_scores_above_99_percent()
    {
        // Every 3 and 8 of MNIST's training set (about 12,000) written as PNGs into two class folders, read back with
        // FromImageFolder, a fifth held out; one logit and binary cross-entropy, as `hybrid train folder` does.
        var folder = Folder();
        try
        {
            var train = Fixtures.Mnist.Train;
            var chosen = Enumerable.Range(0, train.Count).Where(i => train.Labels![i] is 3 or 8).ToArray();
            Parallel.ForEach(chosen, i => Write(folder, train.Labels![i] == 3 ? "three" : "eight", $"{i:D5}.png", Image.FromSquare(train.Sample(i))));
            var data = Dataset.FromImageFolder(folder, validationSplit: 0.2, seed: 1);
            Assert.Equal(["eight", "three"], data.Classes);
            var model = Network.Sequential(784).Dense(256, Activation.ReLU).Dense(1)
                .Compile(Loss.BinaryCrossEntropyWithLogits, Optimizer.Adam(0.001), seed: 1);
            var history = model.Fit(data.Train, epochs: 15, batchSize: 64, validation: data.Validation);
            var accuracy = model.Evaluate(data.Validation!).Accuracy;
            output.WriteLine($"{chosen.Length} PNGs, {data.Validation!.Count} held out: validation accuracy {accuracy:P2}; " +
                             $"per epoch {string.Join(" ", history.Epochs.Select(e => $"{e.ValidationAccuracy:P2}"))}");
            Assert.True(accuracy > 0.99, $"validation accuracy {accuracy:P2}");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
