namespace Hybrid.Imaging;

/// <summary>
/// Makes "photos" of digits, seeded: ink laid on textured paper under uneven light, with camera blur and sensor
/// noise, the digit off-centre and 30–75% of the frame. They test the <see cref="MnistStyle"/> pipeline on the
/// troubles of a real photo with labels known, and show it in the docs.
/// </summary>
public static class SyntheticPhoto
{
    /// <summary>
    /// A photo (RGB) of a digit given as an ink map (1 ink, 0 none; e.g. an MNIST sample via
    /// <see cref="Image.FromSquare"/>, or <see cref="Strokes.Draw"/>). Everything random flows from <paramref name="seed"/>.
    /// </summary>
    /// <param name="ink">The digit's ink map (grey), its strokes away from its edges.</param>
    /// <param name="seed">The seed of the frame size, paper, light, placement, pen and noise.</param>
    /// <param name="minShare">The smallest part of the frame's shorter side the ink's height or width takes.</param>
    /// <param name="maxShare">The largest part.</param>
    public static Image Of(Image ink, int seed, double minShare = 0.3, double maxShare = 0.75)
    {
        ArgumentNullException.ThrowIfNull(ink);
        if (ink.Channels != 1) throw new ArgumentException($"SyntheticPhoto.Of takes a grey ink map; this is {ink}.", nameof(ink));
        if (!(minShare > 0 && minShare <= maxShare && maxShare <= 1))
            throw new ArgumentOutOfRangeException(nameof(minShare), $"SyntheticPhoto.Of: shares {minShare}–{maxShare} must satisfy 0 < min ≤ max ≤ 1.");
        var rng = new Random(seed);
        int width = rng.Next(120, 221), height = rng.Next(120, 221);
        var paper = Paper(width, height, rng.Next());

        // The ink's own bounding box is scaled to its share of the frame, then placed anywhere it fits.
        var (left, top, right, bottom) = Bounds(ink);
        var share = minShare + (maxShare - minShare) * rng.NextDouble();
        var scale = share * Math.Min(width, height) / Math.Max(right - left + 1, bottom - top + 1);
        int sw = Math.Max(1, (int)Math.Round(ink.Width * scale)), sh = Math.Max(1, (int)Math.Round(ink.Height * scale));
        var big = ImageOps.ResizeBilinear(ink, sw, sh);
        int bl = (int)(left * scale), bt = (int)(top * scale), br = (int)Math.Ceiling((right + 1) * scale), bb = (int)Math.Ceiling((bottom + 1) * scale);
        var ox = rng.Next(-bl, Math.Max(-bl, width - br) + 1);
        var oy = rng.Next(-bt, Math.Max(-bt, height - bb) + 1);

        // A pen: black, blue or grey graphite, never quite opaque.
        float[] pen = rng.Next(3) switch
        {
            0 => [0.06f, 0.06f, 0.08f],
            1 => [0.10f, 0.13f, 0.38f],
            _ => [0.28f, 0.28f, 0.30f],
        };
        var opacity = 0.85f + 0.15f * (float)rng.NextDouble();
        var values = paper.Data;
        for (var y = 0; y < sh; y++)
        for (var x = 0; x < sw; x++)
        {
            int px = x + ox, py = y + oy;
            if (px < 0 || py < 0 || px >= width || py >= height) continue;
            var a = opacity * Math.Clamp(big.Data[y * sw + x], 0, 1);
            for (var k = 0; k < 3; k++)
            {
                ref var v = ref values[(py * width + px) * 3 + k];
                v = v * (1 - a) + pen[k] * a;
            }
        }

        var photo = Light(paper, rng);
        if (rng.NextDouble() < 0.6) photo = ImageOps.BoxBlur(photo, 1);
        var sigma = 0.01 + 0.03 * rng.NextDouble();
        var data = photo.Data;
        for (var i = 0; i < data.Length; i++) data[i] = Math.Clamp(data[i] + (float)(sigma * Gaussian(rng)), 0, 1);
        return photo;
    }

    /// <summary>
    /// Blank paper (RGB): an off-white tint, a coarse mottling and a fine grain, from <paramref name="seed"/>.
    /// </summary>
    public static Image Paper(int width, int height, int seed)
    {
        var rng = new Random(seed);
        var baseLevel = 0.80f + 0.15f * (float)rng.NextDouble();
        float[] tint = [0.03f * ((float)rng.NextDouble() - 0.5f), 0.03f * ((float)rng.NextDouble() - 0.5f), 0.05f * ((float)rng.NextDouble() - 0.7f)];
        var coarse = ValueNoise(width, height, 24, rng);
        var medium = ValueNoise(width, height, 6, rng);
        var values = new float[width * height * 3];
        for (var p = 0; p < width * height; p++)
        {
            var texture = 0.05f * (coarse[p] - 0.5f) + 0.04f * (medium[p] - 0.5f) + 0.03f * ((float)rng.NextDouble() - 0.5f);
            for (var k = 0; k < 3; k++) values[3 * p + k] = Math.Clamp(baseLevel + tint[k] + texture, 0, 1);
        }

        return new Image(width, height, 3, values);
    }

    /// <summary>Uneven light: a gradient across the page, a darker corner region (vignette), and sometimes a soft shadow.</summary>
    static Image Light(Image image, Random rng)
    {
        int w = image.Width, h = image.Height;
        var angle = rng.NextDouble() * 2 * Math.PI;
        double dx = Math.Cos(angle), dy = Math.Sin(angle);
        var gradient = 0.15 + 0.3 * rng.NextDouble();
        var vignette = 0.1 + 0.2 * rng.NextDouble();
        var shadow = rng.NextDouble() < 0.5;
        var shadowAngle = rng.NextDouble() * 2 * Math.PI;
        double sx = Math.Cos(shadowAngle), sy = Math.Sin(shadowAngle), offset = 0.2 + 0.4 * rng.NextDouble(), depth = 0.12 + 0.15 * rng.NextDouble();
        var output = image.ToArray();
        for (var y = 0; y < h; y++)
        for (var x = 0; x < w; x++)
        {
            double u = (x + 0.5) / w - 0.5, v = (y + 0.5) / h - 0.5;
            var light = 1 - gradient * (0.5 + u * dx + v * dy) - vignette * 2 * (u * u + v * v);
            if (shadow) light -= depth / (1 + Math.Exp(-(u * sx + v * sy - offset + 0.5) * 25));
            for (var k = 0; k < 3; k++) output[(y * w + x) * 3 + k] *= (float)Math.Max(0.2, light);
        }

        return new Image(w, h, 3, output);
    }

    /// <summary>Smooth noise in [0, 1]: random values on a grid of <paramref name="cell"/> pixels, interpolated with smoothstep.</summary>
    static float[] ValueNoise(int width, int height, int cell, Random rng)
    {
        int gw = width / cell + 2, gh = height / cell + 2;
        var grid = new float[gw * gh];
        for (var i = 0; i < grid.Length; i++) grid[i] = (float)rng.NextDouble();
        var noise = new float[width * height];
        for (var y = 0; y < height; y++)
        for (var x = 0; x < width; x++)
        {
            float fx = (float)x / cell, fy = (float)y / cell;
            int ix = (int)fx, iy = (int)fy;
            float tx = fx - ix, ty = fy - iy;
            tx = tx * tx * (3 - 2 * tx);
            ty = ty * ty * (3 - 2 * ty);
            float a = grid[iy * gw + ix], b = grid[iy * gw + ix + 1], c = grid[(iy + 1) * gw + ix], d = grid[(iy + 1) * gw + ix + 1];
            noise[y * width + x] = (a + (b - a) * tx) * (1 - ty) + (c + (d - c) * tx) * ty;
        }

        return noise;
    }

    static (int Left, int Top, int Right, int Bottom) Bounds(Image ink)
    {
        int left = ink.Width, top = ink.Height, right = -1, bottom = -1;
        for (var y = 0; y < ink.Height; y++)
        for (var x = 0; x < ink.Width; x++)
            if (ink.Data[y * ink.Width + x] > 0.1f)
            {
                left = Math.Min(left, x);
                right = Math.Max(right, x);
                top = Math.Min(top, y);
                bottom = Math.Max(bottom, y);
            }

        if (right < 0) throw new ArgumentException("SyntheticPhoto.Of: the ink map holds no ink.", nameof(ink));
        return (left, top, right, bottom);
    }

    static double Gaussian(Random rng) =>
        Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
}

/// <summary>Draws strokes (polylines of a pen of some width) as an anti-aliased ink map: the library's own pen, for drawings and tests.</summary>
public static class Strokes
{
    /// <summary>
    /// An ink map of <paramref name="width"/> × <paramref name="height"/> with each stroke (a list of points, in
    /// pixels) drawn as a round-capped line <paramref name="thickness"/> pixels wide; edges are anti-aliased over a pixel.
    /// </summary>
    public static Image Draw(int width, int height, IReadOnlyList<IReadOnlyList<(double X, double Y)>> strokes, double thickness)
    {
        ArgumentNullException.ThrowIfNull(strokes);
        if (!(thickness > 0)) throw new ArgumentOutOfRangeException(nameof(thickness), thickness, "Strokes.Draw: the pen needs a positive width");
        var image = Image.Grey(width, height);
        var r = thickness / 2;
        foreach (var stroke in strokes)
            for (var s = 0; s < stroke.Count; s++)
            {
                var a = stroke[s];
                var b = s + 1 < stroke.Count ? stroke[s + 1] : a;
                int x0 = Math.Max(0, (int)(Math.Min(a.X, b.X) - r - 1)), x1 = Math.Min(width - 1, (int)(Math.Max(a.X, b.X) + r + 1));
                int y0 = Math.Max(0, (int)(Math.Min(a.Y, b.Y) - r - 1)), y1 = Math.Min(height - 1, (int)(Math.Max(a.Y, b.Y) + r + 1));
                for (var y = y0; y <= y1; y++)
                for (var x = x0; x <= x1; x++)
                {
                    var d = Distance(x + 0.5, y + 0.5, a, b);
                    var cover = (float)Math.Clamp(r + 0.5 - d, 0, 1);
                    if (cover > image[x, y]) image[x, y] = cover;
                }
            }

        return image;
    }

    static double Distance(double px, double py, (double X, double Y) a, (double X, double Y) b)
    {
        double vx = b.X - a.X, vy = b.Y - a.Y, length = vx * vx + vy * vy;
        var t = length == 0 ? 0 : Math.Clamp(((px - a.X) * vx + (py - a.Y) * vy) / length, 0, 1);
        double dx = px - (a.X + t * vx), dy = py - (a.Y + t * vy);
        return Math.Sqrt(dx * dx + dy * dy);
    }
}
