namespace Hybrid.Imaging;

/// <summary>
/// The few image operations the MNIST-style pipeline, augmentation and the photo generator are built from:
/// area-averaging resampling, box blur, and the min / max filters of mathematical morphology. Each works on every
/// channel and returns a new image.
/// </summary>
public static class ImageOps
{
    /// <summary>
    /// Resamples to <paramref name="width"/> × <paramref name="height"/> by area averaging: each output pixel is the
    /// mean of the source area it covers, partial pixels weighted by the part covered (what MNIST's anti-aliased
    /// size normalisation does, and what PIL calls BOX). Aspect ratio is not kept; <see cref="MnistStyle.FitInBox"/> keeps it.
    /// </summary>
    public static Image Resize(Image image, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (width < 1 || height < 1) throw new ArgumentOutOfRangeException(nameof(width), $"Resize: {width}×{height} pixels; both sides must be at least 1.");
        int c = image.Channels, sw = image.Width, sh = image.Height;
        var columns = Weights(sw, width);
        var rows = Weights(sh, height);
        // Columns first (sh × width), then rows (height × width): separable, as the box filter is.
        var across = new float[sh * width * c];
        for (var y = 0; y < sh; y++)
        for (var x = 0; x < width; x++)
        foreach (var (source, weight) in columns[x])
            for (var k = 0; k < c; k++)
                across[(y * width + x) * c + k] += weight * image.Data[(y * sw + source) * c + k];
        var output = new float[height * width * c];
        for (var y = 0; y < height; y++)
        foreach (var (source, weight) in rows[y])
            for (var x = 0; x < width; x++)
            for (var k = 0; k < c; k++)
                output[(y * width + x) * c + k] += weight * across[(source * width + x) * c + k];
        return new Image(width, height, c, output);
    }

    /// <summary>
    /// Resamples to <paramref name="width"/> × <paramref name="height"/> by bilinear interpolation between pixel
    /// centres (edges clamped): the resampling for enlarging, where area averaging would repeat pixels as blocks.
    /// </summary>
    public static Image ResizeBilinear(Image image, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (width < 1 || height < 1) throw new ArgumentOutOfRangeException(nameof(width), $"ResizeBilinear: {width}×{height} pixels; both sides must be at least 1.");
        int c = image.Channels, sw = image.Width, sh = image.Height;
        var output = new float[width * height * c];
        for (var y = 0; y < height; y++)
        {
            var sy = Math.Clamp((y + 0.5f) * sh / height - 0.5f, 0, sh - 1);
            int y0 = (int)sy, y1 = Math.Min(y0 + 1, sh - 1);
            var fy = sy - y0;
            for (var x = 0; x < width; x++)
            {
                var sx = Math.Clamp((x + 0.5f) * sw / width - 0.5f, 0, sw - 1);
                int x0 = (int)sx, x1 = Math.Min(x0 + 1, sw - 1);
                var fx = sx - x0;
                for (var k = 0; k < c; k++)
                {
                    float a = image.Data[(y0 * sw + x0) * c + k], b = image.Data[(y0 * sw + x1) * c + k];
                    float d = image.Data[(y1 * sw + x0) * c + k], e = image.Data[(y1 * sw + x1) * c + k];
                    output[(y * width + x) * c + k] = (a + (b - a) * fx) * (1 - fy) + (d + (e - d) * fx) * fy;
                }
            }
        }

        return new Image(width, height, c, output);
    }

    /// <summary>For each of <paramref name="to"/> output cells, the source cells of [0, from) it covers and the fraction of it each covers.</summary>
    static (int Source, float Weight)[][] Weights(int from, int to)
    {
        var scale = (double)from / to;
        var weights = new (int, float)[to][];
        for (var o = 0; o < to; o++)
        {
            double a = o * scale, b = (o + 1) * scale;
            var list = new List<(int, float)>();
            for (var s = (int)Math.Floor(a); s < Math.Min(from, (int)Math.Ceiling(b)); s++)
            {
                var overlap = Math.Min(b, s + 1) - Math.Max(a, s);
                if (overlap > 1e-9) list.Add((s, (float)(overlap / scale)));
            }

            weights[o] = [.. list];
        }

        return weights;
    }

    /// <summary>The mean over a (2·<paramref name="radius"/> + 1)² square around each pixel, the square clipped at the edges.</summary>
    public static Image BoxBlur(Image image, int radius)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (radius < 0) throw new ArgumentOutOfRangeException(nameof(radius), radius, "BoxBlur: the radius must be at least 0");
        if (radius == 0) return image.Clone();
        return Separable(image, radius, Mean);
    }

    /// <summary>Grey erosion: the minimum over a (2·<paramref name="radius"/> + 1)² square around each pixel.</summary>
    public static Image Erode(Image image, int radius) => Morphology(image, radius, min: true);

    /// <summary>Grey dilation: the maximum over a (2·<paramref name="radius"/> + 1)² square around each pixel.</summary>
    public static Image Dilate(Image image, int radius) => Morphology(image, radius, min: false);

    /// <summary>1 − v for every value.</summary>
    public static Image Invert(Image image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var output = image.ToArray();
        for (var i = 0; i < output.Length; i++) output[i] = 1 - output[i];
        return new Image(image.Width, image.Height, image.Channels, output);
    }

    static Image Morphology(Image image, int radius, bool min)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (radius < 0) throw new ArgumentOutOfRangeException(nameof(radius), radius, "the radius must be at least 0");
        if (radius == 0) return image.Clone();
        return Separable(image, radius, min ? Minimum : Maximum);
    }

    delegate void LineFilter(ReadOnlySpan<float> line, Span<float> output, int radius);

    /// <summary>A square filter as a pass along the rows then one along the columns, for each channel.</summary>
    static Image Separable(Image image, int radius, LineFilter filter)
    {
        int w = image.Width, h = image.Height, c = image.Channels;
        var output = new float[image.Data.Length];
        var line = new float[Math.Max(w, h)];
        var result = new float[Math.Max(w, h)];
        var middle = new float[image.Data.Length];
        for (var k = 0; k < c; k++)
        {
            for (var y = 0; y < h; y++)
            {
                for (var x = 0; x < w; x++) line[x] = image.Data[(y * w + x) * c + k];
                filter(line.AsSpan(0, w), result.AsSpan(0, w), radius);
                for (var x = 0; x < w; x++) middle[(y * w + x) * c + k] = result[x];
            }

            for (var x = 0; x < w; x++)
            {
                for (var y = 0; y < h; y++) line[y] = middle[(y * w + x) * c + k];
                filter(line.AsSpan(0, h), result.AsSpan(0, h), radius);
                for (var y = 0; y < h; y++) output[(y * w + x) * c + k] = result[y];
            }
        }

        return new Image(w, h, c, output);
    }

    static void Mean(ReadOnlySpan<float> line, Span<float> output, int radius)
    {
        // A running sum over the window [i − r, i + r] clipped to the line.
        double sum = 0;
        var n = line.Length;
        for (var i = 0; i <= Math.Min(radius, n - 1); i++) sum += line[i];
        for (var i = 0; i < n; i++)
        {
            int lo = Math.Max(0, i - radius), hi = Math.Min(n - 1, i + radius);
            output[i] = (float)(sum / (hi - lo + 1));
            if (i + radius + 1 < n) sum += line[i + radius + 1];
            if (i - radius >= 0) sum -= line[i - radius];
        }
    }

    static void Minimum(ReadOnlySpan<float> line, Span<float> output, int radius) => Extreme(line, output, radius, -1);

    static void Maximum(ReadOnlySpan<float> line, Span<float> output, int radius) => Extreme(line, output, radius, 1);

    /// <summary>The sliding-window minimum (sign −1) or maximum (sign 1) with a monotone deque: O(n) whatever the radius.</summary>
    static void Extreme(ReadOnlySpan<float> line, Span<float> output, int radius, int sign)
    {
        var n = line.Length;
        Span<int> deque = n <= 1024 ? stackalloc int[n] : new int[n];
        int head = 0, tail = 0, next = 0;
        for (var i = 0; i < n; i++)
        {
            var hi = Math.Min(n - 1, i + radius);
            for (; next <= hi; next++)
            {
                while (tail > head && sign * (line[next] - line[deque[tail - 1]]) >= 0) tail--;
                deque[tail++] = next;
            }

            while (deque[head] < i - radius) head++;
            output[i] = line[deque[head]];
        }
    }
}
