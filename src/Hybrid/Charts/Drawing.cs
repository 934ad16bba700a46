using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Hybrid.Data;
using MathNet.Numerics.LinearAlgebra;

namespace Hybrid.Charts;

/// <summary>
/// Pictures Hybrid draws itself as SVG: a network from its weight matrices, a grid of images, and a
/// computational graph laid out by Graphviz.
/// </summary>
public static class Drawing
{
    const string Positive = "#2563eb", Negative = "#dc2626";

    /// <summary>
    /// A trained network drawn from its weights: neurons as circles, one column per layer, each weight an edge
    /// coloured by sign (blue positive, red negative) and as thick and opaque as its magnitude (relative to the
    /// largest in its layer). A square input layer of more than 64 neurons (an image) is laid out as a square grid.
    /// </summary>
    /// <param name="model">The model whose dense layers are drawn.</param>
    /// <param name="maxEdgesPerLayer">Only the strongest this many weights of a layer are drawn (all by default).</param>
    /// <param name="outputLabels">A label per output unit (the classes), written beside it; or <c>null</c>.</param>
    public static string Network(Model model, int maxEdgesPerLayer = int.MaxValue, IReadOnlyList<string>? outputLabels = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var weights = model.Parameters.Where(p => p.Key.EndsWith(".weight", StringComparison.Ordinal)).Select(p => p.Value).ToArray();
        var biases = model.Parameters.Where(p => p.Key.EndsWith(".bias", StringComparison.Ordinal)).Select(p => p.Value).ToArray();
        return Network(weights, maxEdgesPerLayer, biases.Length == weights.Length ? biases : null, outputLabels);
    }

    /// <summary>
    /// A network drawn from its weight matrices, each [outputs, inputs] as in PyTorch (see
    /// <see cref="Network(Model, int, IReadOnlyList{string})"/>). The biases, when given (one per layer, as many values
    /// as the layer has units), are written beside the units of layers of at most 16 units: with the edges, they
    /// decide what each unit computes.
    /// </summary>
    /// <param name="weights">The weight matrices, input layer first.</param>
    /// <param name="maxEdgesPerLayer">Only the strongest this many weights of a layer are drawn (all by default).</param>
    /// <param name="biases">The biases of each layer, or <c>null</c>.</param>
    /// <param name="outputLabels">A label per output unit, or <c>null</c>.</param>
    public static string Network(IReadOnlyList<Matrix<float>> weights, int maxEdgesPerLayer = int.MaxValue,
        IReadOnlyList<Matrix<float>>? biases = null, IReadOnlyList<string>? outputLabels = null)
    {
        ArgumentNullException.ThrowIfNull(weights);
        if (weights.Count == 0) throw new ArgumentException("Drawing.Network needs at least one weight matrix.", nameof(weights));
        if (biases is not null && biases.Count != weights.Count)
            throw new ArgumentException($"Drawing.Network: {biases.Count} bias vectors for {weights.Count} layers.", nameof(biases));
        for (var l = 0; biases is not null && l < biases.Count; l++)
            if (biases[l].RowCount * biases[l].ColumnCount != weights[l].RowCount)
                throw new ArgumentException($"Drawing.Network: layer {l} has {weights[l].RowCount} units but {biases[l].RowCount * biases[l].ColumnCount} biases.", nameof(biases));
        if (outputLabels is not null && outputLabels.Count != weights[^1].RowCount)
            throw new ArgumentException($"Drawing.Network: {outputLabels.Count} output labels for {weights[^1].RowCount} output units.", nameof(outputLabels));
        for (var l = 1; l < weights.Count; l++)
            if (weights[l].ColumnCount != weights[l - 1].RowCount)
                throw new ArgumentException($"Drawing.Network: layer {l} takes {weights[l].ColumnCount} inputs but layer {l - 1} gives {weights[l - 1].RowCount}.");
        var sizes = new[] { weights[0].ColumnCount }.Concat(weights.Select(w => w.RowCount)).ToArray();
        const double height = 420, margin = 30, columnGap = 220;
        var positions = new (double X, double Y)[sizes.Length][];
        var radius = new double[sizes.Length];
        double x = margin;
        for (var l = 0; l < sizes.Length; l++)
        {
            var n = sizes[l];
            var side = (int)Math.Round(Math.Sqrt(n));
            var grid = l == 0 && n > 64 && side * side == n;
            positions[l] = new (double, double)[n];
            if (grid)
            {
                var step = (height - 2 * margin) / side;
                radius[l] = step * 0.3;
                for (var i = 0; i < n; i++) positions[l][i] = (x + (i % side + 0.5) * step, margin + (i / side + 0.5) * step);
                x += side * step + columnGap;
            }
            else
            {
                var step = (height - 2 * margin) / n;
                radius[l] = Math.Clamp(step * 0.35, 1.5, 11);
                for (var i = 0; i < n; i++) positions[l][i] = (x, margin + (i + 0.5) * step);
                x += columnGap;
            }
        }

        // Room on the right for the output labels and the last layer's biases.
        var width = x - columnGap + margin + radius[^1] + (outputLabels is not null || biases is not null ? 70 : 0);
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture,
            $"<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {Num(width)} {Num(height + 20)}\" width=\"{Num(width)}\" height=\"{Num(height + 20)}\" class=\"hybrid-network\">\n");
        for (var l = 0; l < weights.Count; l++)
        {
            var w = weights[l];
            var max = w.Enumerate().Select(v => Math.Abs((double)v)).DefaultIfEmpty(0).Max();
            if (max == 0) continue;
            var edges = Enumerable.Range(0, w.RowCount).SelectMany(o => Enumerable.Range(0, w.ColumnCount).Select(i => (o, i, v: (double)w[o, i])))
                .OrderByDescending(e => Math.Abs(e.v)).Take(maxEdgesPerLayer)
                .OrderBy(e => Math.Abs(e.v)); // strongest drawn last, on top
            svg.Append("<g class=\"edges\">\n");
            foreach (var (o, i, v) in edges)
            {
                var strength = Math.Abs(v) / max;
                var (x1, y1) = positions[l][i];
                var (x2, y2) = positions[l + 1][o];
                svg.Append(CultureInfo.InvariantCulture,
                    $"<line x1=\"{Num(x1)}\" y1=\"{Num(y1)}\" x2=\"{Num(x2)}\" y2=\"{Num(y2)}\" stroke=\"{(v >= 0 ? Positive : Negative)}\" stroke-width=\"{Num(0.3 + 3.2 * strength)}\" stroke-opacity=\"{Num(0.1 + 0.8 * strength)}\"/>\n");
            }

            svg.Append("</g>\n");
        }

        for (var l = 0; l < sizes.Length; l++)
        {
            svg.Append("<g class=\"neurons\">\n");
            foreach (var (px, py) in positions[l])
                svg.Append(CultureInfo.InvariantCulture,
                    $"<circle cx=\"{Num(px)}\" cy=\"{Num(py)}\" r=\"{Num(radius[l])}\" fill=\"#f9fafb\" stroke=\"#374151\" stroke-width=\"{Num(Math.Min(1, radius[l] / 3))}\"/>\n");
            if (l > 0 && biases is not null && sizes[l] <= 16)
            {
                var b = biases[l - 1].Enumerate().ToArray();
                for (var i = 0; i < sizes[l]; i++)
                    svg.Append(CultureInfo.InvariantCulture,
                        $"<text x=\"{Num(positions[l][i].X + radius[l] + 3)}\" y=\"{Num(positions[l][i].Y - radius[l] - 2)}\" font-family=\"sans-serif\" font-size=\"10\" fill=\"#374151\">b = {((double)b[i]).ToString("0.##", CultureInfo.InvariantCulture)}</text>\n");
            }

            if (l == sizes.Length - 1 && outputLabels is not null)
                for (var i = 0; i < sizes[l]; i++)
                    svg.Append(CultureInfo.InvariantCulture,
                        $"<text x=\"{Num(positions[l][i].X + radius[l] + 4)}\" y=\"{Num(positions[l][i].Y + 4)}\" font-family=\"sans-serif\" font-size=\"12\" font-weight=\"bold\">{System.Net.WebUtility.HtmlEncode(outputLabels[i])}</text>\n");
            var label = l == 0 ? "input" : l == sizes.Length - 1 ? "output" : $"hidden {l}";
            var cx = positions[l].Average(p => p.X);
            svg.Append(CultureInfo.InvariantCulture,
                $"<text x=\"{Num(cx)}\" y=\"{Num(height + 12)}\" text-anchor=\"middle\" font-family=\"sans-serif\" font-size=\"12\">{label} ({sizes[l]})</text>\n</g>\n");
        }

        return svg.Append("</svg>").ToString();
    }

    /// <summary>
    /// Images of a data set drawn as a grid of grey-level squares (dark = 1), for example misclassified digits with
    /// their true and predicted classes as captions. The images must be square (784 = 28 × 28 features).
    /// </summary>
    /// <param name="data">The data set whose samples are images.</param>
    /// <param name="indices">The samples to draw.</param>
    /// <param name="captions">A caption per image, or <c>null</c>.</param>
    /// <param name="columns">Images per row.</param>
    /// <param name="pixelSize">The size of one pixel in the drawing.</param>
    public static string Images(Dataset data, IReadOnlyList<int> indices, IReadOnlyList<string>? captions = null, int columns = 8, double pixelSize = 3)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(indices);
        var side = (int)Math.Round(Math.Sqrt(data.FeatureCount));
        if (side * side != data.FeatureCount)
            throw new ArgumentException($"Drawing.Images: samples of {data.FeatureCount} features are not square images.", nameof(data));
        if (captions is not null && captions.Count != indices.Count)
            throw new ArgumentException($"Drawing.Images: {indices.Count} images but {captions.Count} captions.", nameof(captions));
        if (columns < 1) throw new ArgumentOutOfRangeException(nameof(columns), columns, "Drawing.Images needs at least one column.");
        double cell = side * pixelSize, gap = 8, captionHeight = captions is null ? 0 : 16;
        var rows = (indices.Count + columns - 1) / columns;
        double width = Math.Max(1, Math.Min(columns, indices.Count)) * (cell + gap), height = Math.Max(1, rows) * (cell + gap + captionHeight);
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture,
            $"<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {Num(width)} {Num(height)}\" width=\"{Num(width)}\" height=\"{Num(height)}\" class=\"hybrid-images\">\n");
        for (var k = 0; k < indices.Count; k++)
        {
            if (indices[k] < 0 || indices[k] >= data.Count)
                throw new ArgumentOutOfRangeException(nameof(indices), indices[k], $"Drawing.Images: sample {indices[k]} is outside the data set of {data.Count}.");
            double left = k % columns * (cell + gap), top = k / columns * (cell + gap + captionHeight);
            var pixels = data.Sample(indices[k]);
            svg.Append(CultureInfo.InvariantCulture,
                $"<g transform=\"translate({Num(left)},{Num(top)})\"><rect width=\"{Num(cell)}\" height=\"{Num(cell)}\" fill=\"white\" stroke=\"#d1d5db\"/>");
            for (var p = 0; p < pixels.Length; p++)
                if (pixels[p] > 0.02f)
                    svg.Append(CultureInfo.InvariantCulture,
                        $"<rect x=\"{Num(p % side * pixelSize)}\" y=\"{Num(p / side * pixelSize)}\" width=\"{Num(pixelSize)}\" height=\"{Num(pixelSize)}\" fill-opacity=\"{Num(Math.Min(1, pixels[p]))}\"/>");
            if (captions is not null)
                svg.Append(CultureInfo.InvariantCulture,
                    $"<text x=\"{Num(cell / 2)}\" y=\"{Num(cell + 13)}\" text-anchor=\"middle\" font-family=\"sans-serif\" font-size=\"11\">{System.Net.WebUtility.HtmlEncode(captions[k])}</text>");
            svg.Append("</g>\n");
        }

        return svg.Append("</svg>").ToString();
    }

    /// <summary>
    /// Lays out Graphviz DOT text (such as <see cref="Autograd.Variable{T}.ToDot"/> or Hybrid.Core's <c>Dot.ofNode</c>)
    /// as SVG with Graphviz's <c>dot</c> program.
    /// </summary>
    /// <exception cref="InvalidOperationException">Graphviz is not installed, or dot rejected the text.</exception>
    public static string Graphviz(string dot)
    {
        ArgumentNullException.ThrowIfNull(dot);
        var start = new ProcessStartInfo("dot", ["-Tsvg"])
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new Win32Exception("dot did not start");
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException($"Graphviz's dot could not be started ({e.Message}): install Graphviz (apt-get install -y graphviz).", e);
        }

        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            process.StandardInput.Write(dot);
            process.StandardInput.Close();
            process.WaitForExit();
            if (process.ExitCode != 0) throw new InvalidOperationException($"Graphviz's dot failed (exit {process.ExitCode}): {error.Result.Trim()}");
            var svg = output.Result;
            // Keep the <svg> element only: the XML prolog and DOCTYPE are not allowed inside an HTML page.
            var begin = svg.IndexOf("<svg", StringComparison.Ordinal);
            return begin < 0 ? throw new InvalidOperationException("Graphviz's dot wrote no <svg> element.") : svg[begin..];
        }
    }

    static string Num(double v) => Math.Round(v, 2).ToString(CultureInfo.InvariantCulture);
}
