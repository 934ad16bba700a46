using FsCheck;
using FsCheck.Fluent;
using Hybrid.Imaging;

namespace Hybrid.Tests;

/// <summary>The MNIST-style pipeline, step by step, on drawings, MNIST digits and photos.</summary>
public class MnistStyleTests
{
    /// <summary>A "7" drawn with the library's pen on a 120 × 90 page, off-centre, as dark ink on white.</summary>
    static Image Seven(double left = 20, double top = 10, double size = 60)
    {
        var ink = Strokes.Draw(120, 90, [[(left, top), (left + size * 0.6, top), (left + size * 0.25, top + size)]], size / 8);
        return ImageOps.Invert(ink);
    }

    static (double X, double Y, double Mass) CentreOfMass(ReadOnlySpan<float> v, int side)
    {
        double m = 0, mx = 0, my = 0;
        for (var i = 0; i < v.Length; i++)
        {
            m += v[i];
            mx += v[i] * (i % side + 0.5);
            my += v[i] * (i / side + 0.5);
        }

        return (mx / m, my / m, m);
    }

    [Fact]
    public void Each_step_makes_what_its_name_says()
    {
        var steps = MnistStyle.Steps(Seven());
        Assert.Equal(InkPolarity.DarkOnLight, steps.Polarity);
        Assert.Equal((120, 90), (steps.Ink.Width, steps.Ink.Height));
        Assert.True(steps.Ink[5, 5] < 0.05f && steps.Ink[21, 10] > 0.9f, "the ink map is high on the stroke, low on the paper");
        Assert.True(steps.Cropped.Width < 60 && steps.Cropped.Height < 80, $"cropped to the strokes: {steps.Cropped}");
        Assert.Equal(20, Math.Max(steps.Box.Width, steps.Box.Height));
        Assert.Equal((28, 28), (steps.Centred.Width, steps.Centred.Height));
        var (x, y, _) = CentreOfMass(steps.Features, 28);
        Assert.InRange(x, 13.5, 14.5);
        Assert.InRange(y, 13.5, 14.5);
        Assert.Equal(1f, steps.Features.Max());
        Assert.True(steps.Features.All(v => v >= 0 && v <= 1));
    }

    [Fact]
    public void The_result_does_not_depend_on_where_the_digit_is_or_how_large_it_is_drawn()
    {
        var a = MnistStyle.Prepare(Seven(10, 5, 60));
        var b = MnistStyle.Prepare(Seven(45, 20, 62));
        var difference = a.Zip(b, (p, q) => Math.Abs(p - q)).Sum() / a.Sum();
        Assert.True(difference < 0.15, $"the two placements differ by {difference:P1} of the ink");
    }

    [Fact]
    public void Polarity_is_found_both_ways_on_mnist_digits_and_light_ink_is_kept_as_it_is()
    {
        var test = Fixtures.Mnist.Test;
        for (var i = 0; i < 200; i++)
        {
            var digit = Image.FromSquare(test.Sample(i));
            Assert.Equal(InkPolarity.LightOnDark, MnistStyle.DetectPolarity(digit));
            Assert.Equal(InkPolarity.DarkOnLight, MnistStyle.DetectPolarity(ImageOps.Invert(digit)));
        }
    }

    [Fact]
    public void An_mnist_digit_through_the_pipeline_is_still_read_as_itself()
    {
        var model = PhotoTests.Main;
        var test = Fixtures.Mnist.Test;
        var same = 0;
        const int count = 300;
        var original = model.Predict(test.Take(count)).Classes;
        for (var i = 0; i < count; i++)
        {
            var features = MnistStyle.Prepare(ImageOps.Invert(Image.FromSquare(test.Sample(i))));
            var again = model.Predict(MathNet.Numerics.LinearAlgebra.Matrix<float>.Build.DenseOfRowMajor(1, 784, features)).Classes[0];
            if (again == original[i]) same++;
        }

        Assert.True(same >= 0.95 * count, $"{same} of {count} MNIST digits, inverted and prepared, keep their class");
    }

    [Fact]
    public void A_blank_page_a_uniform_picture_and_paper_alone_are_refused_by_name()
    {
        foreach (var (what, image) in new[]
                 {
                     ("white", Image.Grey(100, 80, 1f)), ("black", Image.Grey(30, 30)),
                     ("paper", MnistStyle.Greyscale(SyntheticPhoto.Paper(160, 120, seed: 3))),
                 })
        {
            var e = Assert.Throws<InvalidDataException>(() => MnistStyle.Prepare(image, $"{what}.png"));
            Assert.Contains($"{what}.png: no ink", e.Message);
        }
    }

    [Fact]
    public void Area_averaging_keeps_the_mean_and_box_blur_keeps_a_constant()
    {
        Prop.ForAll(Gen.Choose(1, 40).Three().ToArbitrary(), sizes =>
        {
            var (w, h, seed) = sizes;
            var rng = new Random(seed);
            var image = new Image(w, h, 1, Enumerable.Range(0, w * h).Select(_ => (float)rng.NextDouble()).ToArray());
            var small = ImageOps.Resize(image, Math.Max(1, w / 3), Math.Max(1, h / 2));
            // Every source pixel is spread over the output with weights that sum to one output pixel's area.
            var meanIn = image.Values.ToArray().Average();
            var meanOut = small.Values.ToArray().Average();
            var flat = ImageOps.BoxBlur(Image.Grey(w, h, 0.3f), 1 + seed % 5);
            return Math.Abs(meanIn - meanOut) < 1e-4 && flat.Values.ToArray().All(v => Math.Abs(v - 0.3f) < 1e-5);
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Erosion_and_dilation_are_the_window_minimum_and_maximum()
    {
        Prop.ForAll(Gen.Choose(1, 30).Three().ToArbitrary(), sizes =>
        {
            var (w, h, seed) = sizes;
            var rng = new Random(seed);
            var image = new Image(w, h, 1, Enumerable.Range(0, w * h).Select(_ => (float)rng.NextDouble()).ToArray());
            var r = 1 + seed % 4;
            var eroded = ImageOps.Erode(image, r);
            var dilated = ImageOps.Dilate(image, r);
            for (var y = 0; y < h; y++)
            for (var x = 0; x < w; x++)
            {
                float lo = 1, hi = 0;
                for (var j = Math.Max(0, y - r); j <= Math.Min(h - 1, y + r); j++)
                for (var i = Math.Max(0, x - r); i <= Math.Min(w - 1, x + r); i++)
                {
                    lo = Math.Min(lo, image[i, j]);
                    hi = Math.Max(hi, image[i, j]);
                }

                if (eroded[x, y] != lo || dilated[x, y] != hi) return false;
            }

            return true;
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Otsu_splits_two_levels_between_them()
    {
        var values = Enumerable.Repeat(0.1f, 900).Concat(Enumerable.Repeat(0.8f, 100)).ToArray();
        Assert.InRange(MnistStyle.Otsu(values), 0.1f, 0.8f);
    }
}
