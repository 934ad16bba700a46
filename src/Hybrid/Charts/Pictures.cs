using System.Globalization;
using System.Net;
using System.Text;
using Hybrid.Imaging;

namespace Hybrid.Charts;

/// <summary>
/// Pictures in a row, each with a caption, as SVG: the steps of <see cref="MnistStyle"/> side by side, say. Each
/// picture is embedded as a PNG (a data URI), so the drawing stands alone and works offline.
/// </summary>
public static class Pictures
{
    /// <summary>
    /// A row of pictures, each scaled to <paramref name="height"/> pixels high (small ones, like 28 × 28, drawn with
    /// sharp pixels), framed, and captioned underneath.
    /// </summary>
    /// <param name="images">The pictures.</param>
    /// <param name="captions">A caption per picture.</param>
    /// <param name="height">The height every picture is drawn at.</param>
    /// <exception cref="ArgumentException">The counts of pictures and captions differ, or there are none.</exception>
    public static string Row(IReadOnlyList<Image> images, IReadOnlyList<string> captions, double height = 120)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(captions);
        if (images.Count == 0) throw new ArgumentException("Pictures.Row needs at least one picture.", nameof(images));
        if (images.Count != captions.Count) throw new ArgumentException($"Pictures.Row: {images.Count} pictures but {captions.Count} captions.", nameof(captions));
        const double gap = 14, captionHeight = 32;
        var widths = images.Select(i => Math.Max(height * i.Width / i.Height, 60)).ToArray();
        var total = widths.Sum() + gap * (images.Count - 1);
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture,
            $"<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {Num(total)} {Num(height + captionHeight)}\" width=\"{Num(total)}\" height=\"{Num(height + captionHeight)}\" class=\"hybrid-pictures\">\n");
        double x = 0;
        for (var k = 0; k < images.Count; k++)
        {
            var image = images[k];
            var w = height * image.Width / image.Height;
            var left = x + (widths[k] - w) / 2;
            var png = Convert.ToBase64String(ImageFile.EncodePng(image));
            var sharp = image.Height < height / 2 ? " style=\"image-rendering: pixelated\"" : "";
            svg.Append(CultureInfo.InvariantCulture,
                $"<image x=\"{Num(left)}\" y=\"0\" width=\"{Num(w)}\" height=\"{Num(height)}\" preserveAspectRatio=\"none\"{sharp} href=\"data:image/png;base64,{png}\"/>\n");
            svg.Append(CultureInfo.InvariantCulture,
                $"<rect x=\"{Num(left)}\" y=\"0\" width=\"{Num(w)}\" height=\"{Num(height)}\" fill=\"none\" stroke=\"#9ca3af\"/>\n");
            var lines = captions[k].Split('\n');
            for (var l = 0; l < lines.Length; l++)
                svg.Append(CultureInfo.InvariantCulture,
                    $"<text x=\"{Num(x + widths[k] / 2)}\" y=\"{Num(height + 13 + 12 * l)}\" text-anchor=\"middle\" font-family=\"sans-serif\" font-size=\"11\">{WebUtility.HtmlEncode(lines[l])}</text>\n");
            x += widths[k] + gap;
        }

        return svg.Append("</svg>").ToString();
    }

    static string Num(double v) => Math.Round(v, 2).ToString(CultureInfo.InvariantCulture);
}
