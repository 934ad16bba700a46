using System.Buffers.Binary;
using System.IO.Compression;
using Hybrid.Imaging;

namespace Hybrid.Tests;

/// <summary>Reading pictures: every format in, PNG and JPEG out, and every kind of bad file refused with a named InvalidDataException.</summary>
public class ImageFileTests
{
    static string Data(string name) => Path.Combine(AppContext.BaseDirectory, "data", name);

    /// <summary>A 6×4 RGB test card: each pixel's colour depends on its place, so a flip or turn shows.</summary>
    static Image Card()
    {
        var image = new Image(6, 4, 3, new float[6 * 4 * 3]);
        for (var y = 0; y < 4; y++)
        for (var x = 0; x < 6; x++)
        {
            image[x, y, 0] = x / 5f;
            image[x, y, 1] = y / 3f;
            image[x, y, 2] = x == 0 && y == 0 ? 1f : 0f;
        }

        return image;
    }

    [Fact]
    public void A_png_round_trip_keeps_every_value_to_the_8_bit_level()
    {
        var card = Card();
        var back = ImageFile.Decode(ImageFile.EncodePng(card));
        Assert.Equal((6, 4, 3), (back.Width, back.Height, back.Channels));
        for (var i = 0; i < card.Values.Length; i++) Assert.Equal(card.Values[i], back.Values[i], 1f / 255);
    }

    [Fact]
    public void A_jpeg_round_trip_stays_close_and_grey_is_the_luma()
    {
        var grey = Image.Grey(32, 32, 0.25f);
        for (var x = 0; x < 32; x++) grey[x, 5] = 1f;
        var back = ImageFile.Decode(ImageFile.EncodeJpeg(grey, 95), greyscale: true);
        Assert.Equal(1, back.Channels);
        Assert.InRange(back[10, 20], 0.2f, 0.3f);
        Assert.InRange(back[10, 5], 0.85f, 1f);
        var rgb = new Image(2, 1, 3, [1f, 0f, 0f, 0f, 0f, 1f]);
        var luma = ImageFile.Decode(ImageFile.EncodePng(rgb), greyscale: true);
        Assert.Equal(0.299f, luma[0, 0], 0.01f);
        Assert.Equal(0.114f, luma[1, 0], 0.01f);
    }

    [Fact]
    public void A_progressive_jpeg_and_a_gif_decode_to_the_drawing()
    {
        foreach (var name in new[] { "progressive-seven.jpg", "seven.gif" })
        {
            var image = ImageFile.Read(Data(name), greyscale: true);
            Assert.Equal((40, 30), (image.Width, image.Height));
            Assert.True(image[20, 8] < 0.2f, $"{name}: the bar is black");
            Assert.True(image[3, 25] > 0.8f, $"{name}: the paper is white");
        }
    }

    [Fact]
    public void A_bmp_decodes()
    {
        var card = Card();
        using var stream = new MemoryStream();
        var bytes = card.Values.ToArray().Select(v => (byte)Math.Round(v * 255)).ToArray();
        new StbImageWriteSharp.ImageWriter().WriteBmp(bytes, 6, 4, StbImageWriteSharp.ColorComponents.RedGreenBlue, stream);
        var back = ImageFile.Decode(stream.ToArray());
        Assert.Equal(ImageFormat.Bmp, ImageHeader.Read(stream.ToArray()).Format);
        for (var i = 0; i < card.Values.Length; i++) Assert.Equal(card.Values[i], back.Values[i], 1f / 255);
    }

    [Theory]
    [InlineData(1, 0, 0, 6, 4)]
    [InlineData(2, 5, 0, 6, 4)]
    [InlineData(3, 5, 3, 6, 4)]
    [InlineData(4, 0, 3, 6, 4)]
    [InlineData(5, 0, 0, 4, 6)]
    [InlineData(6, 3, 0, 4, 6)]
    [InlineData(7, 3, 5, 4, 6)]
    [InlineData(8, 0, 5, 4, 6)]
    public void The_exif_orientation_of_a_jpeg_turns_it_upright(int orientation, int cornerX, int cornerY, int width, int height)
    {
        // The stored top-left pixel is the only blue one; after orientation it must be at the named corner.
        var jpeg = WithExif(ImageFile.EncodeJpeg(Card(), 100), orientation);
        Assert.Equal(orientation, ImageHeader.Read(jpeg).Orientation);
        var image = ImageFile.Decode(jpeg);
        Assert.Equal((width, height), (image.Width, image.Height));
        var blue = Enumerable.Range(0, width * height).MaxBy(p => image[p % width, p / width, 2] - image[p % width, p / width, 0]);
        Assert.Equal((cornerX, cornerY), (blue % width, blue / width));
    }

    /// <summary>A JPEG with an APP1 EXIF segment (big-endian TIFF, one IFD entry: orientation) inserted after SOI.</summary>
    static byte[] WithExif(byte[] jpeg, int orientation)
    {
        var tiff = new byte[8 + 2 + 12 + 4];
        "MM"u8.CopyTo(tiff);
        BinaryPrimitives.WriteUInt16BigEndian(tiff.AsSpan(2), 42);
        BinaryPrimitives.WriteUInt32BigEndian(tiff.AsSpan(4), 8);
        BinaryPrimitives.WriteUInt16BigEndian(tiff.AsSpan(8), 1);
        BinaryPrimitives.WriteUInt16BigEndian(tiff.AsSpan(10), 0x0112);
        BinaryPrimitives.WriteUInt16BigEndian(tiff.AsSpan(12), 3);
        BinaryPrimitives.WriteUInt32BigEndian(tiff.AsSpan(14), 1);
        BinaryPrimitives.WriteUInt16BigEndian(tiff.AsSpan(18), (ushort)orientation);
        var payload = "Exif\0\0"u8.ToArray().Concat(tiff).ToArray();
        var segment = new byte[4 + payload.Length];
        segment[0] = 0xFF;
        segment[1] = 0xE1;
        BinaryPrimitives.WriteUInt16BigEndian(segment.AsSpan(2), (ushort)(payload.Length + 2));
        payload.CopyTo(segment, 4);
        return jpeg[..2].Concat(segment).Concat(jpeg[2..]).ToArray();
    }

    /// <summary>A PNG of just a signature and an IHDR chunk declaring width × height (and no image data).</summary>
    static byte[] PngHeader(uint width, uint height)
    {
        var png = new byte[33];
        new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }.CopyTo(png, 0);
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(8), 13);
        "IHDR"u8.CopyTo(png.AsSpan(12));
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(16), width);
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(20), height);
        png[24] = 8;
        png[25] = 2;
        return png;
    }

    public static TheoryData<string, byte[], string> BadFiles()
    {
        var png = ImageFile.EncodePng(Card());
        var jpeg = ImageFile.EncodeJpeg(Image.Grey(64, 64, 0.5f));
        return new TheoryData<string, byte[], string>
        {
            { "empty", [], "empty" },
            { "text", "hello, this is not a picture"u8.ToArray(), "not an image" },
            { "safetensors", [8, 0, 0, 0, 0, 0, 0, 0, (byte)'{', (byte)'}'], "not an image" },
            { "png cut inside its header", png[..20], "truncated" },
            { "png cut inside its data", png[..(png.Length - 20)], "PNG" },
            { "0×0 png", PngHeader(0, 0), "0×0" },
            { "50,000×50,000 png header", PngHeader(50_000, 50_000), "more than the limit" },
            { "40,000×40,000 png header", PngHeader(40_000, 40_000), "more than the limit" },
            { "png declaring 6,000×6,000 in 33 bytes", PngHeader(6_000, 6_000), "truncated" },
            { "jpeg cut in half", jpeg[..(jpeg.Length / 2)], "JPEG" },
            { "jpeg without its frame", jpeg[..4], "truncated" },
            { "gif header alone", "GIF89a"u8.ToArray(), "truncated" },
        };
    }

    [Theory]
    [MemberData(nameof(BadFiles))]
    public void A_bad_file_gets_a_named_invalid_data_exception_and_nothing_else(string what, byte[] bytes, string expected)
    {
        var path = Fixtures.TempFile(".png");
        try
        {
            File.WriteAllBytes(path, bytes);
            var e = Assert.Throws<InvalidDataException>(() => ImageFile.Read(path));
            Assert.Contains(expected, e.Message, StringComparison.OrdinalIgnoreCase);
            Assert.Contains(path, e.Message);
            Assert.True(e.Message.Length < 400, $"{what}: {e.Message}");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_folder_a_missing_file_and_a_file_over_the_byte_limit_are_refused_by_name()
    {
        var folder = Directory.CreateTempSubdirectory("hybrid-image-").FullName;
        try
        {
            Assert.Contains("is a folder", Assert.Throws<InvalidDataException>(() => ImageFile.Read(folder)).Message);
            Assert.Throws<FileNotFoundException>(() => ImageFile.Read(Path.Combine(folder, "none.png")));
            var big = Path.Combine(folder, "big.png");
            File.WriteAllBytes(big, ImageFile.EncodePng(Image.Grey(200, 200, 0.5f)));
            var e = Assert.Throws<InvalidDataException>(() => ImageFile.Read(big, limits: new ImageLimits(MaxBytes: 100)));
            Assert.Contains("more than the limit of 100", e.Message);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void A_deflate_bomb_declaring_more_pixels_than_the_limit_is_refused_before_decoding()
    {
        // A real, valid PNG of 8,000 × 8,000 black pixels compresses to a few tens of kilobytes; the limit refuses it
        // from the header, so nothing of its 192 MB is ever allocated.
        var width = 8000;
        var row = new byte[1 + width * 3];
        using var raw = new MemoryStream();
        using (var z = new ZLibStream(raw, CompressionLevel.SmallestSize, leaveOpen: true))
            for (var y = 0; y < width; y++) z.Write(row);
        var header = PngHeader((uint)width, (uint)width);
        var bomb = header.Concat(raw.ToArray()).ToArray();
        var e = Assert.Throws<InvalidDataException>(() => ImageFile.Decode(bomb, source: "bomb.png", limits: new ImageLimits(MaxPixels: 1_000_000)));
        Assert.Contains("64,000,000 pixels, more than the limit of 1,000,000", e.Message);
    }
}
