namespace Hybrid.Imaging;

/// <summary>Which way round the ink is: dark ink on light paper (a photo, a scan) or light on dark (MNIST, a blackboard).</summary>
public enum InkPolarity
{
    /// <summary>Dark strokes on a light background.</summary>
    DarkOnLight,

    /// <summary>Light strokes on a dark background.</summary>
    LightOnDark,
}

/// <summary>Every picture of the MNIST-style pipeline, in order (see <see cref="MnistStyle.Steps"/>).</summary>
/// <param name="Grey">The picture in grey (0 black, 1 white), shrunk to at most <see cref="MnistStyle.WorkingSide"/> pixels a side.</param>
/// <param name="Polarity">Whether the ink was dark on light or light on dark.</param>
/// <param name="Ink">The ink map: 1 ink, 0 background (the grey inverted for dark ink).</param>
/// <param name="Background">The estimated background of the ink map: uneven lighting, shadows, the paper's tint.</param>
/// <param name="Clean">Ink above the background, normalised and softly thresholded (Otsu): paper grain gone.</param>
/// <param name="Cropped">The clean ink cropped to its strokes (specks far from the digit dropped).</param>
/// <param name="Box">The crop fitted into 20 × 20 keeping its aspect ratio (area averaging).</param>
/// <param name="Centred">The 28 × 28 image the model sees: the box placed with its centre of mass at the centre, values in [0, 1].</param>
public sealed record MnistSteps(Image Grey, InkPolarity Polarity, Image Ink, Image Background, Image Clean, Image Cropped, Image Box, Image Centred)
{
    /// <summary>The 784 features of <see cref="Centred"/>, row by row, as an MNIST sample.</summary>
    public float[] Features => Centred.ToArray();
}

/// <summary>
/// Turns a picture of a digit (a photo of paper, a scan, a drawing) into what an MNIST model was trained on. MNIST's
/// digits are light on dark, size-normalised into a 20 × 20 box keeping their aspect ratio, and placed in 28 × 28 with
/// their centre of mass at the centre; a photo is none of that, which is why a model at 98% on MNIST guesses on photos.
/// Each step is a function of its own: <see cref="Greyscale"/>, <see cref="Shrink"/>, <see cref="DetectPolarity"/>,
/// <see cref="ToInk"/>, <see cref="EstimateBackground"/>, <see cref="RemoveBackground"/>, <see cref="CropToInk"/>,
/// <see cref="FitInBox"/>, <see cref="CentreByMass"/>; <see cref="Steps"/> runs them all and keeps every picture,
/// <see cref="Prepare"/> returns the 784 features.
/// </summary>
public static class MnistStyle
{
    /// <summary>The side of MNIST's images.</summary>
    public const int Side = 28;

    /// <summary>The side of the box MNIST's digits are fitted into.</summary>
    public const int BoxSide = 20;

    /// <summary>The largest side the pipeline works at: bigger pictures are first shrunk (a digit needs no more).</summary>
    public const int WorkingSide = 320;

    /// <summary>Grey from RGB as luma, 0.299 R + 0.587 G + 0.114 B (ITU-R BT.601, PIL's "L"); a grey image is returned as is.</summary>
    public static Image Greyscale(Image image)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.Channels == 1) return image;
        var grey = new float[image.Width * image.Height];
        var v = image.Data;
        for (var p = 0; p < grey.Length; p++) grey[p] = 0.299f * v[3 * p] + 0.587f * v[3 * p + 1] + 0.114f * v[3 * p + 2];
        return new Image(image.Width, image.Height, 1, grey);
    }

    /// <summary>Shrinks by area averaging so that neither side exceeds <paramref name="maxSide"/> (aspect ratio kept); a smaller image is returned as is.</summary>
    public static Image Shrink(Image image, int maxSide = WorkingSide)
    {
        ArgumentNullException.ThrowIfNull(image);
        var longest = Math.Max(image.Width, image.Height);
        if (longest <= maxSide) return image;
        var scale = (double)maxSide / longest;
        return ImageOps.Resize(image, Math.Max(1, (int)Math.Round(image.Width * scale)), Math.Max(1, (int)Math.Round(image.Height * scale)));
    }

    /// <summary>
    /// Whether the ink is darker or lighter than the paper. Ink is the minority of the pixels and differs strongly from
    /// its surroundings, the paper is the majority and differs little: after subtracting a local mean (a box blur a
    /// third of the picture wide, which follows uneven lighting) the deviations are skewed towards the ink's side, so
    /// the sign of their third moment gives the polarity.
    /// </summary>
    public static InkPolarity DetectPolarity(Image grey)
    {
        ArgumentNullException.ThrowIfNull(grey);
        Expect(grey, 1, nameof(DetectPolarity));
        var local = ImageOps.BoxBlur(grey, Math.Max(2, Math.Max(grey.Width, grey.Height) / 6));
        double m2 = 0, m3 = 0;
        for (var i = 0; i < grey.Data.Length; i++)
        {
            double d = grey.Data[i] - local.Data[i];
            m2 += d * d;
            m3 += d * d * d;
        }

        return m3 <= 0 ? InkPolarity.DarkOnLight : InkPolarity.LightOnDark;
    }

    /// <summary>The ink map: 1 − grey for dark ink, the grey itself for light ink, so that ink is high as in MNIST.</summary>
    public static Image ToInk(Image grey, InkPolarity polarity)
    {
        ArgumentNullException.ThrowIfNull(grey);
        Expect(grey, 1, nameof(ToInk));
        return polarity == InkPolarity.DarkOnLight ? ImageOps.Invert(grey) : grey.Clone();
    }

    /// <summary>
    /// The background of an ink map: a morphological opening (erosion then dilation) with a square a fifth of the
    /// picture wide, which removes every stroke narrower than the square and keeps what varies slowly (lighting,
    /// shadows, the paper's tint), then a box blur of the same size to smooth the opening's steps; the picture's edges
    /// are extended outwards first, so that light falling off towards a border is followed to the border.
    /// </summary>
    public static Image EstimateBackground(Image ink)
    {
        ArgumentNullException.ThrowIfNull(ink);
        Expect(ink, 1, nameof(EstimateBackground));
        var radius = Math.Max(2, Math.Max(ink.Width, ink.Height) / 10);
        // The edges are repeated outwards first: without them, light falling off towards a border (a vignette) is a
        // ridge at the border that the opening cuts off, and the ridge would be taken for ink.
        var padded = Pad(ink, 2 * radius);
        var opened = ImageOps.BoxBlur(ImageOps.Dilate(ImageOps.Erode(padded, radius), radius), radius);
        var background = new float[ink.Width * ink.Height];
        for (var y = 0; y < ink.Height; y++)
            Array.Copy(opened.Data, (y + 2 * radius) * padded.Width + 2 * radius, background, y * ink.Width, ink.Width);
        return new Image(ink.Width, ink.Height, 1, background);
    }

    /// <summary>A grey image with <paramref name="margin"/> pixels added on every side, each a copy of the nearest edge pixel.</summary>
    static Image Pad(Image image, int margin)
    {
        int w = image.Width + 2 * margin, h = image.Height + 2 * margin;
        var values = new float[w * h];
        for (var y = 0; y < h; y++)
        {
            var sy = Math.Clamp(y - margin, 0, image.Height - 1);
            for (var x = 0; x < w; x++) values[y * w + x] = image.Data[sy * image.Width + Math.Clamp(x - margin, 0, image.Width - 1)];
        }

        return new Image(w, h, 1, values);
    }

    /// <summary>
    /// The ink above the background, normalised and softly thresholded: a light blur against sensor noise, the
    /// background subtracted, the result divided by its 99.5th percentile (so faint ink counts as much as dark ink),
    /// then Otsu's threshold t separates ink from paper grain softly: values below 0.75 t become 0, values above
    /// 1.25 t become 1, and in between they rise smoothly (the strokes' anti-aliased edges, as in MNIST).
    /// </summary>
    /// <param name="ink">The ink map.</param>
    /// <param name="background">Its background (<see cref="EstimateBackground"/> when null).</param>
    /// <param name="source">The name the error gives the picture.</param>
    /// <exception cref="InvalidDataException">There is no ink: the picture is blank (its strongest ink is below 8% contrast).</exception>
    public static Image RemoveBackground(Image ink, Image? background = null, string source = "image")
    {
        ArgumentNullException.ThrowIfNull(ink);
        Expect(ink, 1, nameof(RemoveBackground));
        background ??= EstimateBackground(ink);
        if (background.Width != ink.Width || background.Height != ink.Height || background.Channels != 1)
            throw new ArgumentException($"RemoveBackground: the background is {background}, the ink map {ink}.", nameof(background));
        var longest = Math.Max(ink.Width, ink.Height);
        var smooth = longest >= 160 ? ImageOps.BoxBlur(ink, longest / 160) : ink;
        var signal = new float[ink.Data.Length];
        for (var i = 0; i < signal.Length; i++) signal[i] = Math.Max(0, smooth.Data[i] - background.Data[i]);
        var sorted = (float[])signal.Clone();
        Array.Sort(sorted);
        var top = sorted[Math.Min(sorted.Length - 1, (int)(sorted.Length * 0.995))];
        var strongest = sorted[^1];
        if (strongest < BlankContrast)
            throw new InvalidDataException($"{source}: no ink found (the strongest stroke is {strongest:P0} above the background): a blank page?");
        // On a tiny drawing the ink may be more than 0.5% of the pixels: the maximum is then the better scale.
        var scale = top >= BlankContrast ? top : strongest;
        for (var i = 0; i < signal.Length; i++) signal[i] = Math.Min(1, signal[i] / scale);
        // A soft threshold: 0 below 0.75 t, 1 above 1.25 t, smooth in between. Measured on 500 photos of MNIST test
        // digits, it gives the strokes MNIST's weight (full cores, a pixel of soft edge): 97.6% against 95.6% for a ramp
        // from t to (1 + t)/2, 97.0% for a hard threshold and 95.0% for keeping the ink's own levels above t/2.
        var t = Otsu(signal);
        for (var i = 0; i < signal.Length; i++)
        {
            var r = Math.Clamp((signal[i] - 0.75f * t) / (0.5f * t), 0, 1);
            signal[i] = r * r * (3 - 2 * r);
        }

        return new Image(ink.Width, ink.Height, 1, signal);
    }

    /// <summary>Below this contrast above the background (in grey levels of [0, 1]) a picture holds no ink.</summary>
    public const float BlankContrast = 0.08f;

    /// <summary>
    /// Otsu's threshold of values in [0, 1]: the level that maximises the variance between the values below it and
    /// those above it (256 bins).
    /// </summary>
    public static float Otsu(ReadOnlySpan<float> values)
    {
        const int bins = 256;
        Span<double> histogram = stackalloc double[bins];
        foreach (var v in values) histogram[Math.Clamp((int)(v * (bins - 1) + 0.5f), 0, bins - 1)]++;
        double total = values.Length, sum = 0;
        for (var i = 0; i < bins; i++) sum += i * histogram[i];
        double weightBelow = 0, sumBelow = 0, best = -1;
        var threshold = 0;
        for (var i = 0; i < bins - 1; i++)
        {
            weightBelow += histogram[i];
            sumBelow += i * histogram[i];
            var weightAbove = total - weightBelow;
            if (weightBelow == 0 || weightAbove == 0) continue;
            var meanBelow = sumBelow / weightBelow;
            var meanAbove = (sum - sumBelow) / weightAbove;
            var between = weightBelow * weightAbove * (meanBelow - meanAbove) * (meanBelow - meanAbove);
            if (between > best)
            {
                best = between;
                threshold = i;
            }
        }

        return (threshold + 0.5f) / (bins - 1);
    }

    /// <summary>
    /// Crops to the ink: the ink's 8-connected pieces are found, pieces touching the frame are dropped when a piece
    /// clear of it holds a fifth as much ink as the largest (a shadow's or the page's edge), those holding less than a
    /// tenth of the largest kept piece's ink (specks, dust, a stray mark) are dropped, and the image is cut to the
    /// bounding box of the rest.
    /// </summary>
    /// <exception cref="InvalidDataException">There is no ink at all.</exception>
    public static Image CropToInk(Image clean, string source = "image")
    {
        ArgumentNullException.ThrowIfNull(clean);
        Expect(clean, 1, nameof(CropToInk));
        int w = clean.Width, h = clean.Height;
        var v = clean.Data;
        var piece = new int[v.Length];
        var masses = new List<double> { 0 };
        var stack = new Stack<int>();
        for (var start = 0; start < v.Length; start++)
        {
            if (v[start] <= 0 || piece[start] != 0) continue;
            var id = masses.Count;
            double mass = 0;
            piece[start] = id;
            stack.Push(start);
            while (stack.Count > 0)
            {
                var p = stack.Pop();
                mass += v[p];
                int px = p % w, py = p / w;
                for (var dy = -1; dy <= 1; dy++)
                for (var dx = -1; dx <= 1; dx++)
                {
                    int qx = px + dx, qy = py + dy;
                    if (qx < 0 || qy < 0 || qx >= w || qy >= h) continue;
                    var q = qy * w + qx;
                    if (v[q] > 0 && piece[q] == 0)
                    {
                        piece[q] = id;
                        stack.Push(q);
                    }
                }
            }

            masses.Add(mass);
        }

        var largest = masses.Max();
        if (largest <= 0) throw new InvalidDataException($"{source}: no ink left after removing the background: a blank page?");
        // Pieces touching the frame are mostly the photo's troubles (a shadow's edge, the page's edge, a dark corner):
        // when a piece clear of the frame holds a fifth of the largest piece's ink, the digit is taken to be clear of it.
        var touches = new bool[masses.Count];
        for (var x = 0; x < w; x++)
        {
            touches[piece[x]] = true;
            touches[piece[(h - 1) * w + x]] = true;
        }

        for (var y = 0; y < h; y++)
        {
            touches[piece[y * w]] = true;
            touches[piece[y * w + w - 1]] = true;
        }

        var clear = masses.Where((m, i) => i > 0 && !touches[i]).DefaultIfEmpty(0).Max();
        var dropFrame = clear >= 0.2 * largest;
        if (dropFrame) largest = clear;
        int left = w, right = -1, top = h, bottom = -1;
        var kept = new float[v.Length];
        for (var p = 0; p < v.Length; p++)
        {
            if (piece[p] == 0 || masses[piece[p]] < 0.1 * largest || (dropFrame && touches[piece[p]])) continue;
            kept[p] = v[p];
            int x = p % w, y = p / w;
            left = Math.Min(left, x);
            right = Math.Max(right, x);
            top = Math.Min(top, y);
            bottom = Math.Max(bottom, y);
        }

        int cw = right - left + 1, ch = bottom - top + 1;
        var crop = new float[cw * ch];
        for (var y = 0; y < ch; y++) Array.Copy(kept, (top + y) * w + left, crop, y * cw, cw);
        return new Image(cw, ch, 1, crop);
    }

    /// <summary>
    /// Fits the ink into a <paramref name="box"/> × <paramref name="box"/> square keeping its aspect ratio: the longer
    /// side becomes <paramref name="box"/> pixels. Shrinking averages areas (MNIST's anti-aliasing); enlarging a
    /// small drawing interpolates bilinearly.
    /// </summary>
    public static Image FitInBox(Image cropped, int box = BoxSide)
    {
        ArgumentNullException.ThrowIfNull(cropped);
        if (box < 1) throw new ArgumentOutOfRangeException(nameof(box), box, "FitInBox: the box needs at least one pixel");
        var scale = (double)box / Math.Max(cropped.Width, cropped.Height);
        int w = Math.Clamp((int)Math.Round(cropped.Width * scale), 1, box), h = Math.Clamp((int)Math.Round(cropped.Height * scale), 1, box);
        return scale <= 1 ? ImageOps.Resize(cropped, w, h) : ImageOps.ResizeBilinear(cropped, w, h);
    }

    /// <summary>
    /// Places the box in a <paramref name="side"/> × <paramref name="side"/> image so that its centre of mass
    /// (pixels weighted by their ink) falls on the centre, shifted by whole pixels as MNIST's were, and scales the
    /// values so that the darkest ink is 1: values in [0, 1], as in the training data.
    /// </summary>
    public static Image CentreByMass(Image box, int side = Side)
    {
        ArgumentNullException.ThrowIfNull(box);
        Expect(box, 1, nameof(CentreByMass));
        if (side < 1) throw new ArgumentOutOfRangeException(nameof(side), side, "CentreByMass: the side needs at least one pixel");
        double mass = 0, mx = 0, my = 0;
        float max = 0;
        for (var y = 0; y < box.Height; y++)
        for (var x = 0; x < box.Width; x++)
        {
            var v = box.Data[y * box.Width + x];
            mass += v;
            mx += v * (x + 0.5);
            my += v * (y + 0.5);
            max = Math.Max(max, v);
        }

        // With no ink the box is centred by its geometry.
        var (cx, cy) = mass > 0 ? (mx / mass, my / mass) : (box.Width / 2.0, box.Height / 2.0);
        int ox = (int)Math.Round(side / 2.0 - cx), oy = (int)Math.Round(side / 2.0 - cy);
        var output = new float[side * side];
        var scale = max > 0 ? 1 / max : 1;
        for (var y = 0; y < box.Height; y++)
        for (var x = 0; x < box.Width; x++)
        {
            int tx = x + ox, ty = y + oy;
            if (tx >= 0 && ty >= 0 && tx < side && ty < side) output[ty * side + tx] = Math.Clamp(box.Data[y * box.Width + x] * scale, 0, 1);
        }

        return new Image(side, side, 1, output);
    }

    /// <summary>Runs every step on a picture and keeps each step's picture (for showing the pipeline).</summary>
    /// <exception cref="InvalidDataException">The picture holds no ink.</exception>
    public static MnistSteps Steps(Image image, string source = "image")
    {
        ArgumentNullException.ThrowIfNull(image);
        var grey = Shrink(Greyscale(image));
        var polarity = DetectPolarity(grey);
        var ink = ToInk(grey, polarity);
        var background = EstimateBackground(ink);
        var clean = RemoveBackground(ink, background, source);
        var cropped = CropToInk(clean, source);
        var box = FitInBox(cropped);
        return new MnistSteps(grey, polarity, ink, background, clean, cropped, box, CentreByMass(box));
    }

    /// <summary>The 784 features (28 × 28, row by row, [0, 1]) an MNIST model should be given for a picture.</summary>
    /// <exception cref="InvalidDataException">The picture holds no ink.</exception>
    public static float[] Prepare(Image image, string source = "image") => Steps(image, source).Features;

    /// <summary>
    /// The naive path, for comparison: greyscale, resize to 28 × 28 ignoring the aspect ratio, invert. It is what
    /// most first attempts do, and it fails on photos.
    /// </summary>
    public static float[] Naive(Image image)
    {
        ArgumentNullException.ThrowIfNull(image);
        return ImageOps.Invert(ImageOps.Resize(Greyscale(image), Side, Side)).ToArray();
    }

    static void Expect(Image image, int channels, string step)
    {
        if (image.Channels != channels)
            throw new ArgumentException($"MnistStyle.{step} takes a grey image (one channel); this is {image}. Use MnistStyle.Greyscale first.", nameof(image));
    }
}
