namespace Hybrid.Imaging;

/// <summary>
/// A picture in memory: <see cref="Width"/> × <see cref="Height"/> pixels of <see cref="Channels"/> values each
/// (1 for grey, 3 for red, green, blue), stored row after row with the channels of a pixel side by side, every value
/// in [0, 1]. What 0 and 1 mean depends on the step that made it: for a decoded file 0 is black and 1 full
/// intensity; for the ink maps of <see cref="MnistStyle"/> 1 is ink and 0 background, as in MNIST.
/// </summary>
public sealed class Image
{
    readonly float[] values;

    /// <summary>An image over <paramref name="values"/> (not copied): row-major, channels interleaved.</summary>
    /// <exception cref="ArgumentException">The sizes are not positive, or the array does not hold width × height × channels values.</exception>
    public Image(int width, int height, int channels, float[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (width < 1 || height < 1) throw new ArgumentException($"Image: {width}×{height} pixels; both sides must be at least 1.");
        if (channels is not (1 or 3)) throw new ArgumentException($"Image: {channels} channels; an image has 1 (grey) or 3 (RGB).", nameof(channels));
        if ((long)width * height * channels != values.Length)
            throw new ArgumentException($"Image: {width}×{height}×{channels} needs {(long)width * height * channels} values, the array holds {values.Length}.", nameof(values));
        Width = width;
        Height = height;
        Channels = channels;
        this.values = values;
    }

    /// <summary>A grey image of <paramref name="width"/> × <paramref name="height"/> filled with <paramref name="value"/>.</summary>
    public static Image Grey(int width, int height, float value = 0f)
    {
        if (width < 1 || height < 1) throw new ArgumentException($"Image: {width}×{height} pixels; both sides must be at least 1.");
        var data = new float[width * height];
        if (value != 0) Array.Fill(data, value);
        return new Image(width, height, 1, data);
    }

    /// <summary>A square grey image from a row of side² values, e.g. an MNIST sample (784 values, 28 × 28; copied).</summary>
    /// <exception cref="ArgumentException">The length is not a square.</exception>
    public static Image FromSquare(ReadOnlySpan<float> values)
    {
        var side = (int)Math.Round(Math.Sqrt(values.Length));
        if (side < 1 || side * side != values.Length)
            throw new ArgumentException($"Image.FromSquare: {values.Length} values are not a square image.", nameof(values));
        return new Image(side, side, 1, values.ToArray());
    }

    /// <summary>Pixels per row.</summary>
    public int Width { get; }

    /// <summary>Rows.</summary>
    public int Height { get; }

    /// <summary>Values per pixel: 1 (grey) or 3 (red, green, blue).</summary>
    public int Channels { get; }

    /// <summary>The values, row-major with channels interleaved: (x, y, c) is at (y · Width + x) · Channels + c. Writable.</summary>
    public Span<float> Values => values;

    /// <summary>The value of channel <paramref name="channel"/> at column <paramref name="x"/>, row <paramref name="y"/>.</summary>
    public float this[int x, int y, int channel = 0]
    {
        get => values[(y * Width + x) * Channels + channel];
        set => values[(y * Width + x) * Channels + channel] = value;
    }

    /// <summary>A copy of the values (for F# and for keeping), in the layout of <see cref="Values"/>.</summary>
    public float[] ToArray() => (float[])values.Clone();

    /// <summary>A deep copy.</summary>
    public Image Clone() => new(Width, Height, Channels, ToArray());

    internal float[] Data => values;

    /// <inheritdoc/>
    public override string ToString() => $"{Width}×{Height} {(Channels == 1 ? "grey" : "RGB")} image";
}
