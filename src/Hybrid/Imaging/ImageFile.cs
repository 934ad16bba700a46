using System.Globalization;
using Hybrid.IO;
using StbImageSharp;
using StbImageWriteSharp;
using ReadComponents = StbImageSharp.ColorComponents;
using WriteComponents = StbImageWriteSharp.ColorComponents;

namespace Hybrid.Imaging;

/// <summary>
/// How large an image <see cref="ImageFile"/> accepts: the file's bytes and the pixels its header declares, both
/// checked before anything is decoded, so a small hostile file cannot make Hybrid allocate gigabytes.
/// </summary>
/// <param name="MaxPixels">The most pixels (width × height) a file may declare (default 40 million: a 7,700 × 5,200 photo).</param>
/// <param name="MaxBytes">The largest file read, in bytes (default 64 MiB).</param>
public sealed record ImageLimits(long MaxPixels = 40_000_000, long MaxBytes = 64L << 20)
{
    /// <summary>The defaults: 40 million pixels, 64 MiB.</summary>
    public static ImageLimits Default { get; } = new();
}

/// <summary>
/// Reads and writes picture files: PNG, JPEG (baseline and progressive, turned upright by its EXIF orientation),
/// BMP and GIF (the first frame) in; PNG and JPEG out. Decoding is StbImageSharp's (pure managed). Every file is
/// checked first, from its header and its length: the errors are <see cref="InvalidDataException"/>s naming the
/// file and the problem (not an image, truncated, 0×0, more pixels than <see cref="ImageLimits.MaxPixels"/>).
/// </summary>
public static class ImageFile
{
    /// <summary>
    /// Reads a picture file into an image with values in [0, 1] (0 black): grey (one channel, luma
    /// 0.299 R + 0.587 G + 0.114 B) or RGB. Transparent parts are laid over white, as on paper.
    /// </summary>
    /// <param name="path">A regular file.</param>
    /// <param name="greyscale">One grey channel (true) or three colour channels (false).</param>
    /// <param name="limits">Size limits (<see cref="ImageLimits.Default"/> when null).</param>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    /// <exception cref="InvalidDataException">The file is not a regular file, not an image, truncated, corrupt, or too large.</exception>
    public static Image Read(string path, bool greyscale = false, ImageLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        limits ??= ImageLimits.Default;
        return Decode(ReadBytes(path, limits.MaxBytes), greyscale, path, limits);
    }

    /// <summary>Decodes a picture held in memory (an upload, say); see <see cref="Read"/>.</summary>
    /// <param name="bytes">The file's bytes.</param>
    /// <param name="greyscale">One grey channel (true) or three colour channels (false).</param>
    /// <param name="source">The name the errors give the picture.</param>
    /// <param name="limits">Size limits (<see cref="ImageLimits.Default"/> when null).</param>
    /// <exception cref="InvalidDataException">Not an image, truncated, corrupt, or too large; the message says which.</exception>
    public static Image Decode(byte[] bytes, bool greyscale = false, string source = "image", ImageLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        limits ??= ImageLimits.Default;
        if (bytes.LongLength > limits.MaxBytes)
            throw new InvalidDataException($"{source}: {bytes.LongLength:N0} bytes, more than the limit of {limits.MaxBytes:N0}.");
        var header = Check(bytes, source, limits);
        ImageResult decoded;
        try
        {
            decoded = ImageResult.FromMemory(bytes, ReadComponents.RedGreenBlueAlpha);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // stb reports a corrupt or cut-short stream with a plain Exception (or runs off the end of its arrays).
            throw new InvalidDataException($"{source}: corrupt or truncated {ImageHeader.Name(header.Format)} file ({e.Message}).", e);
        }

        if (decoded is null || decoded.Width != header.Width || decoded.Height != header.Height || decoded.Data is null
            || decoded.Data.LongLength < 4L * decoded.Width * decoded.Height)
            throw new InvalidDataException($"{source}: corrupt {ImageHeader.Name(header.Format)} file: it did not decode to the {header.Width}×{header.Height} pixels its header declares.");
        var image = FromRgba(decoded.Data, decoded.Width, decoded.Height, greyscale);
        return Orient(image, header.Orientation);
    }

    /// <summary>
    /// Checks a file's header against its length and the limits without decoding it, and returns the header.
    /// A compressed stream can only shrink pixels so far (deflate by at most 1032:1; a JPEG needs a bit for every
    /// 8 × 8 block), so a file too short for the pixels it declares is truncated, and is refused at once.
    /// </summary>
    /// <exception cref="InvalidDataException">The header is bad, declares too many pixels, or the file is too short for them.</exception>
    public static ImageHeader Check(ReadOnlySpan<byte> bytes, string source = "image", ImageLimits? limits = null)
    {
        limits ??= ImageLimits.Default;
        var h = ImageHeader.Read(bytes, source);
        var pixels = (long)h.Width * h.Height;
        if (pixels > limits.MaxPixels)
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                $"{source}: the {ImageHeader.Name(h.Format)} header declares {h.Width:N0}×{h.Height:N0} = {pixels:N0} pixels, more than the limit of {limits.MaxPixels:N0}."));
        var least = h.Format switch
        {
            // One bit per pixel at the least (1-bit grey), one filter byte per row, deflated by at most 1032:1.
            ImageFormat.Png => (h.Height * (1 + (h.Width + 7L) / 8)) / 1032,
            // At least one bit per 8 × 8 block of the first component, even in a progressive file's first scan.
            ImageFormat.Jpeg => (h.Width + 7L) / 8 * ((h.Height + 7L) / 8) / 8,
            ImageFormat.Bmp => BmpLeast(bytes, h),
            // An LZW code of at least 3 bits stands for at most 4,096 pixels.
            _ => pixels / 16384,
        };
        if (h.Format == ImageFormat.Jpeg && !ImageHeader.JpegIsComplete(bytes))
            throw new InvalidDataException($"{source}: truncated JPEG file: its image data does not end with the end-of-image marker (FF D9).");
        if (bytes.Length < least)
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                $"{source}: truncated {ImageHeader.Name(h.Format)} file: {h.Width:N0}×{h.Height:N0} pixels need at least {least:N0} bytes, the file has {bytes.Length:N0}."));
        return h;
    }

    static long BmpLeast(ReadOnlySpan<byte> b, ImageHeader h)
    {
        if (b.Length < 34 || BitConverter.ToUInt32(b[14..18]) < 40) return 0;
        var bits = BitConverter.ToUInt16(b[28..30]);
        var compression = BitConverter.ToUInt32(b[30..34]);
        var offset = BitConverter.ToUInt32(b[10..14]);
        // Uncompressed rows are padded to 4 bytes; run-length coding turns 2 bytes into at most 255 pixels.
        return compression is 0 or 3 ? offset + (((long)h.Width * Math.Max((int)bits, 1) + 31) / 32 * 4 * h.Height) : (long)h.Width * h.Height / 128;
    }

    /// <summary>Reads at most <paramref name="maxBytes"/> of a regular file, refusing folders, pipes and devices.</summary>
    internal static byte[] ReadBytes(string path, long maxBytes)
    {
        if (Directory.Exists(path)) throw new InvalidDataException($"{path}: is a folder, not an image file.");
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such image file.", path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        if (!stream.CanSeek) throw new InvalidDataException($"{path}: not a regular file (a pipe or a device); give an image file.");
        if (stream.Length > maxBytes)
            throw new InvalidDataException($"{path}: {stream.Length:N0} bytes, more than the limit of {maxBytes:N0} for an image.");
        // A device can report length 0 and then never end: read up to the limit and one byte more, never past it.
        var buffer = new MemoryStream(stream.Length > 0 ? (int)stream.Length : 4096);
        var chunk = new byte[81920];
        int n;
        while ((n = stream.Read(chunk, 0, (int)Math.Min(chunk.Length, maxBytes + 1 - buffer.Length))) > 0)
        {
            buffer.Write(chunk, 0, n);
            if (buffer.Length > maxBytes) throw new InvalidDataException($"{path}: more than the limit of {maxBytes:N0} bytes for an image.");
        }

        return buffer.ToArray();
    }

    static Image FromRgba(byte[] rgba, int width, int height, bool greyscale)
    {
        var channels = greyscale ? 1 : 3;
        var values = new float[width * height * channels];
        for (var p = 0; p < width * height; p++)
        {
            // Over white: c·α + 1·(1 − α).
            float a = rgba[4 * p + 3] / 255f, white = 1 - a;
            float r = rgba[4 * p] / 255f * a + white, g = rgba[4 * p + 1] / 255f * a + white, b = rgba[4 * p + 2] / 255f * a + white;
            if (greyscale) values[p] = 0.299f * r + 0.587f * g + 0.114f * b;
            else
            {
                values[3 * p] = r;
                values[3 * p + 1] = g;
                values[3 * p + 2] = b;
            }
        }

        return new Image(width, height, channels, values);
    }

    /// <summary>
    /// Turns an image as stored into the image as shown, by an EXIF orientation: 2 mirrors left–right, 3 turns a half
    /// turn, 4 mirrors top–bottom, 5 transposes, 6 turns a quarter clockwise, 7 transverses, 8 turns a quarter anticlockwise.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The orientation is not 1–8.</exception>
    public static Image Orient(Image image, int orientation)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (orientation is < 1 or > 8) throw new ArgumentOutOfRangeException(nameof(orientation), orientation, "an EXIF orientation is 1–8");
        if (orientation == 1) return image;
        int w = image.Width, h = image.Height, c = image.Channels;
        var swap = orientation >= 5;
        var (ow, oh) = swap ? (h, w) : (w, h);
        var output = new float[image.Data.Length];
        for (var y = 0; y < h; y++)
        for (var x = 0; x < w; x++)
        {
            var (tx, ty) = orientation switch
            {
                2 => (w - 1 - x, y),
                3 => (w - 1 - x, h - 1 - y),
                4 => (x, h - 1 - y),
                5 => (y, x),
                6 => (h - 1 - y, x),
                7 => (h - 1 - y, w - 1 - x),
                _ => (y, w - 1 - x),
            };
            for (var k = 0; k < c; k++) output[(ty * ow + tx) * c + k] = image.Data[(y * w + x) * c + k];
        }

        return new Image(ow, oh, c, output);
    }

    /// <summary>The image as PNG bytes (8 bits per value; grey or RGB).</summary>
    public static byte[] EncodePng(Image image)
    {
        ArgumentNullException.ThrowIfNull(image);
        using var stream = new MemoryStream();
        new ImageWriter().WritePng(Bytes(image), image.Width, image.Height, Components(image), stream);
        return stream.ToArray();
    }

    /// <summary>The image as JPEG bytes at <paramref name="quality"/> (1–100).</summary>
    public static byte[] EncodeJpeg(Image image, int quality = 90)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (quality is < 1 or > 100) throw new ArgumentOutOfRangeException(nameof(quality), quality, "JPEG quality is 1–100");
        using var stream = new MemoryStream();
        new ImageWriter().WriteJpg(Bytes(image), image.Width, image.Height, Components(image), stream, quality);
        return stream.ToArray();
    }

    /// <summary>
    /// Writes the image atomically, as PNG or JPEG by the file name's extension (.png, .jpg, .jpeg).
    /// </summary>
    /// <exception cref="ArgumentException">The extension is neither.</exception>
    public static void Save(Image image, string path, int quality = 90)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(path);
        var bytes = Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".png" => EncodePng(image),
            ".jpg" or ".jpeg" => EncodeJpeg(image, quality),
            var other => throw new ArgumentException($"{path}: Hybrid writes .png and .jpg images, not '{other}'.", nameof(path)),
        };
        Files.WriteAtomic(path, stream => stream.Write(bytes));
    }

    static WriteComponents Components(Image image) => image.Channels == 1 ? WriteComponents.Grey : WriteComponents.RedGreenBlue;

    static byte[] Bytes(Image image)
    {
        var bytes = new byte[image.Data.Length];
        for (var i = 0; i < bytes.Length; i++) bytes[i] = (byte)Math.Clamp((int)MathF.Round(image.Data[i] * 255f), 0, 255);
        return bytes;
    }
}
