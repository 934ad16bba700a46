using System.Buffers.Binary;

namespace Hybrid.Imaging;

/// <summary>The file formats <see cref="ImageFile"/> reads.</summary>
public enum ImageFormat
{
    /// <summary>Portable Network Graphics.</summary>
    Png,

    /// <summary>JPEG (baseline and progressive), with its EXIF orientation.</summary>
    Jpeg,

    /// <summary>Windows bitmap.</summary>
    Bmp,

    /// <summary>GIF (the first frame).</summary>
    Gif,
}

/// <summary>
/// What a file's header declares, read before anything is decoded: its format, its size in pixels, and for a JPEG
/// the EXIF orientation (1 = as stored; 2–8 the mirrorings and quarter turns of the TIFF specification).
/// </summary>
/// <param name="Format">The file format, from its signature.</param>
/// <param name="Width">Declared width in pixels, as stored (before the orientation is applied).</param>
/// <param name="Height">Declared height in pixels, as stored.</param>
/// <param name="Orientation">EXIF orientation 1–8 (1 when the file has none).</param>
public sealed record ImageHeader(ImageFormat Format, int Width, int Height, int Orientation = 1)
{
    /// <summary>
    /// Reads the header of an image file held in <paramref name="bytes"/>. Only the header is looked at, every
    /// offset checked against the length, so a hostile file costs nothing to refuse.
    /// </summary>
    /// <param name="bytes">The file's bytes (the header alone is enough for PNG, BMP and GIF).</param>
    /// <param name="source">The file name (or "request") the errors name.</param>
    /// <exception cref="InvalidDataException">Not a PNG, JPEG, BMP or GIF; the header is cut short or declares 0 pixels.</exception>
    public static ImageHeader Read(ReadOnlySpan<byte> bytes, string source = "image")
    {
        ArgumentNullException.ThrowIfNull(source);
        if (bytes.Length == 0) throw new InvalidDataException($"{source}: the file is empty, not an image.");
        ImageHeader header;
        if (bytes.StartsWith(PngSignature)) header = Png(bytes, source);
        else if (bytes.Length >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF) header = Jpeg(bytes, source);
        else if (bytes.StartsWith("BM"u8)) header = Bmp(bytes, source);
        else if (bytes.StartsWith("GIF87a"u8) || bytes.StartsWith("GIF89a"u8)) header = Gif(bytes, source);
        else throw new InvalidDataException($"{source}: not an image Hybrid reads (PNG, JPEG, BMP or GIF): the file starts with {Describe(bytes)}.");
        if (header.Width < 1 || header.Height < 1)
            throw new InvalidDataException($"{source}: the {Name(header.Format)} header declares {header.Width}×{header.Height} pixels; an image needs at least 1×1.");
        return header;
    }

    /// <summary>The format's name as written: PNG, JPEG, BMP, GIF.</summary>
    internal static string Name(ImageFormat format) => format.ToString().ToUpperInvariant();

    static ReadOnlySpan<byte> PngSignature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    static string Describe(ReadOnlySpan<byte> bytes) =>
        string.Join(" ", bytes[..Math.Min(8, bytes.Length)].ToArray().Select(b => b.ToString("X2"))) + (bytes.Length < 8 ? " (and ends there)" : "");

    static InvalidDataException Short(string source, ImageFormat format, int length) =>
        new($"{source}: truncated {Name(format)} file: its header is cut short ({length} bytes).");

    static ImageHeader Png(ReadOnlySpan<byte> b, string source)
    {
        // Signature (8), then the IHDR chunk: length 13, "IHDR", width and height (big-endian), bit depth, colour type.
        if (b.Length < 33) throw Short(source, ImageFormat.Png, b.Length);
        if (!b.Slice(12, 4).SequenceEqual("IHDR"u8)) throw new InvalidDataException($"{source}: PNG file without an IHDR chunk first.");
        var width = BinaryPrimitives.ReadUInt32BigEndian(b[16..]);
        var height = BinaryPrimitives.ReadUInt32BigEndian(b[20..]);
        return new ImageHeader(ImageFormat.Png, Clamp(width), Clamp(height));
    }

    static ImageHeader Gif(ReadOnlySpan<byte> b, string source)
    {
        if (b.Length < 13) throw Short(source, ImageFormat.Gif, b.Length);
        return new ImageHeader(ImageFormat.Gif, BinaryPrimitives.ReadUInt16LittleEndian(b[6..]), BinaryPrimitives.ReadUInt16LittleEndian(b[8..]));
    }

    static ImageHeader Bmp(ReadOnlySpan<byte> b, string source)
    {
        if (b.Length < 26) throw Short(source, ImageFormat.Bmp, b.Length);
        var dib = BinaryPrimitives.ReadUInt32LittleEndian(b[14..]);
        if (dib == 12) return new ImageHeader(ImageFormat.Bmp, BinaryPrimitives.ReadUInt16LittleEndian(b[18..]), BinaryPrimitives.ReadUInt16LittleEndian(b[20..]));
        // A negative height means rows stored top-down; its size is the absolute value.
        var width = BinaryPrimitives.ReadInt32LittleEndian(b[18..]);
        var height = BinaryPrimitives.ReadInt32LittleEndian(b[22..]);
        return new ImageHeader(ImageFormat.Bmp, width, height == int.MinValue ? int.MaxValue : Math.Abs(height));
    }

    /// <summary>
    /// Walks the JPEG's marker segments up to the first start-of-frame (its size) and the EXIF APP1 segment (its
    /// orientation), each segment's length checked against the file; the entropy-coded data is never touched.
    /// </summary>
    static ImageHeader Jpeg(ReadOnlySpan<byte> b, string source)
    {
        var orientation = 1;
        var at = 2;
        while (true)
        {
            // Markers may be padded with any number of 0xFF fill bytes.
            while (at < b.Length && b[at] == 0xFF && at + 1 < b.Length && b[at + 1] == 0xFF) at++;
            if (at + 4 > b.Length) throw new InvalidDataException($"{source}: truncated JPEG file: it ends before its frame header (at byte {at} of {b.Length}).");
            if (b[at] != 0xFF) throw new InvalidDataException($"{source}: corrupt JPEG file: expected a marker at byte {at}, found {b[at]:X2}.");
            var marker = b[at + 1];
            var length = BinaryPrimitives.ReadUInt16BigEndian(b[(at + 2)..]);
            if (length < 2 || at + 2 + length > b.Length)
                throw new InvalidDataException($"{source}: truncated JPEG file: the segment {marker:X2} at byte {at} declares {length} bytes, the file has {b.Length - at - 2} left.");
            var segment = b.Slice(at + 4, length - 2);
            if (marker == 0xE1 && segment.StartsWith("Exif\0\0"u8)) orientation = Exif.Orientation(segment[6..]);
            var isFrame = marker is >= 0xC0 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC;
            if (isFrame)
            {
                if (segment.Length < 6) throw new InvalidDataException($"{source}: corrupt JPEG file: its frame header has {segment.Length} bytes.");
                var height = BinaryPrimitives.ReadUInt16BigEndian(segment[1..]);
                var width = BinaryPrimitives.ReadUInt16BigEndian(segment[3..]);
                if (height == 0)
                    throw new InvalidDataException($"{source}: the JPEG frame leaves its height to a later DNL marker, which Hybrid does not read.");
                return new ImageHeader(ImageFormat.Jpeg, width, height, orientation);
            }

            if (marker == 0xDA) throw new InvalidDataException($"{source}: corrupt JPEG file: image data (SOS) before any frame header.");
            at += 2 + length;
        }
    }

    /// <summary>
    /// True when a JPEG's image data ends with the end-of-image marker: entropy-coded data never holds the bytes
    /// FF D9 (a data byte FF is followed by 00), so a file without them after its first scan header is cut short.
    /// </summary>
    internal static bool JpegIsComplete(ReadOnlySpan<byte> b)
    {
        var at = 2;
        while (at + 4 <= b.Length)
        {
            if (b[at] != 0xFF) return false;
            if (b[at + 1] == 0xFF)
            {
                at++;
                continue;
            }

            var length = BinaryPrimitives.ReadUInt16BigEndian(b[(at + 2)..]);
            if (b[at + 1] == 0xDA) return at + 2 + length <= b.Length && b[(at + 2 + length)..].IndexOf(EndOfImage) >= 0;
            at += 2 + length;
        }

        return false;
    }

    static ReadOnlySpan<byte> EndOfImage => [0xFF, 0xD9];

    static int Clamp(uint v) => v > int.MaxValue ? int.MaxValue : (int)v;
}

/// <summary>The orientation tag of an EXIF block (a TIFF structure inside the JPEG's APP1 segment), read with bounds checks.</summary>
static class Exif
{
    /// <summary>The orientation (1–8) in a TIFF block, or 1 when it has none or the block is malformed (a photo still opens).</summary>
    public static int Orientation(ReadOnlySpan<byte> tiff)
    {
        if (tiff.Length < 8) return 1;
        bool little;
        if (tiff[0] == 'I' && tiff[1] == 'I') little = true;
        else if (tiff[0] == 'M' && tiff[1] == 'M') little = false;
        else return 1;
        ushort U16(ReadOnlySpan<byte> s) => little ? BinaryPrimitives.ReadUInt16LittleEndian(s) : BinaryPrimitives.ReadUInt16BigEndian(s);
        uint U32(ReadOnlySpan<byte> s) => little ? BinaryPrimitives.ReadUInt32LittleEndian(s) : BinaryPrimitives.ReadUInt32BigEndian(s);
        if (U16(tiff[2..]) != 42) return 1;
        var ifd = U32(tiff[4..]);
        if (ifd > tiff.Length - 2) return 1;
        var count = U16(tiff[(int)ifd..]);
        for (var i = 0; i < count; i++)
        {
            var entry = (long)ifd + 2 + 12L * i;
            if (entry + 12 > tiff.Length) return 1;
            var e = tiff.Slice((int)entry, 12);
            // Tag 0x0112, type SHORT (3), one value, held in the first two bytes of the value field.
            if (U16(e) == 0x0112 && U16(e[2..]) == 3)
            {
                var value = U16(e[8..]);
                return value is >= 1 and <= 8 ? value : 1;
            }
        }

        return 1;
    }
}
