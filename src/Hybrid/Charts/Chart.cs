using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Hybrid.Charts;

/// <summary>One named line of a line chart: y against x.</summary>
/// <param name="Name">The name shown in the legend.</param>
/// <param name="X">The x values.</param>
/// <param name="Y">The y values, as many as <paramref name="X"/>.</param>
public sealed record Series(string Name, IReadOnlyList<double> X, IReadOnlyList<double> Y)
{
    /// <summary>A series whose x values are 1, 2, 3, … (epochs, steps, layers).</summary>
    public static Series Of(string name, IReadOnlyList<double> y) => new(name, Enumerable.Range(1, y.Count).Select(i => (double)i).ToArray(), y);
}

/// <summary>
/// A chart as a Vega-Lite specification (JSON), rendered in the browser by vega-embed. Build one with the
/// factories (<see cref="Lines"/>, <see cref="Points"/>, <see cref="Heatmap"/>, <see cref="Field"/>), combine
/// with <see cref="Layer"/> and <see cref="Grid"/>, then write it with <see cref="ToJson"/> or <see cref="ToHtml"/>
/// (a page fragment) or put it in a <see cref="Report"/>. Charts are immutable: every <c>With…</c> returns a new one.
/// </summary>
public sealed class Chart
{
    /// <summary>The Vega-Lite schema the specifications follow.</summary>
    public const string Schema = "https://vega.github.io/schema/vega-lite/v6.json";

    readonly JsonObject spec;

    Chart(JsonObject spec) => this.spec = spec;

    /// <summary>A line chart, one line per series (with a legend when there are several).</summary>
    /// <param name="series">The lines.</param>
    /// <param name="xTitle">The x axis title.</param>
    /// <param name="yTitle">The y axis title.</param>
    /// <param name="logY">Use a logarithmic y axis (for losses that fall over orders of magnitude).</param>
    /// <param name="zeroY">Start the y axis at zero (a linear axis only).</param>
    public static Chart Lines(IEnumerable<Series> series, string xTitle = "x", string yTitle = "y", bool logY = false, bool zeroY = true)
    {
        ArgumentNullException.ThrowIfNull(series);
        var all = series.ToArray();
        if (all.Length == 0) throw new ArgumentException("Chart.Lines needs at least one series.", nameof(series));
        var values = new JsonArray();
        foreach (var s in all)
        {
            if (s.X.Count != s.Y.Count)
                throw new ArgumentException($"Chart.Lines: series '{s.Name}' has {s.X.Count} x values but {s.Y.Count} y values.", nameof(series));
            for (var i = 0; i < s.X.Count; i++)
                if (double.IsFinite(s.X[i]) && double.IsFinite(s.Y[i]) && (!logY || s.Y[i] > 0))
                    values.Add(new JsonObject { ["series"] = s.Name, ["x"] = s.X[i], ["y"] = s.Y[i] });
        }

        var y = Axis("y", yTitle, zeroY);
        if (logY) y["scale"] = new JsonObject { ["type"] = "log" };
        var x = Axis("x", xTitle);
        // Epochs, steps, layers and counts of mistakes are whole numbers: ticks only at whole numbers. (A "d" format
        // alone would write the ticks 1, 1.5, 2 of a two-epoch run as "1, 2, 2".)
        if (WholeTicks(all.SelectMany(s => s.X).Where(double.IsFinite).ToArray(), includeZero: false) is { } xTicks)
            x["axis"] = new JsonObject { ["format"] = "d", ["values"] = xTicks };
        if (!logY && WholeTicks(all.SelectMany(s => s.Y).Where(double.IsFinite).ToArray(), zeroY) is { } yTicks)
            y["axis"] = new JsonObject { ["format"] = "d", ["values"] = yTicks };
        var encoding = new JsonObject { ["x"] = x, ["y"] = y };
        if (all.Length > 1)
            encoding["color"] = new JsonObject
            {
                ["field"] = "series", ["type"] = "nominal", ["title"] = null, ["legend"] = BottomLegend(),
                ["sort"] = Strings(all.Select(s => s.Name)),
            };
        return new Chart(new JsonObject
        {
            ["data"] = new JsonObject { ["values"] = values },
            ["mark"] = new JsonObject { ["type"] = "line", ["point"] = all.Max(s => s.X.Count) <= 30 },
            ["encoding"] = encoding,
        });
    }

    /// <summary>A bar chart: one bar per label, in the order given.</summary>
    /// <param name="labels">The bars' labels.</param>
    /// <param name="values">The bars' heights.</param>
    /// <param name="labelTitle">The title of the label axis.</param>
    /// <param name="valueTitle">The title of the value axis.</param>
    public static Chart Bars(IReadOnlyList<string> labels, IReadOnlyList<double> values, string labelTitle = "", string valueTitle = "value")
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(values);
        if (labels.Count != values.Count || labels.Count == 0)
            throw new ArgumentException($"Chart.Bars: {labels.Count} labels and {values.Count} values must agree and not be empty.");
        var data = new JsonArray();
        for (var i = 0; i < labels.Count; i++)
            if (double.IsFinite(values[i]))
                data.Add(new JsonObject { ["label"] = labels[i], ["value"] = values[i] });
        return new Chart(new JsonObject
        {
            ["data"] = new JsonObject { ["values"] = data },
            ["mark"] = "bar",
            ["encoding"] = new JsonObject
            {
                ["x"] = new JsonObject
                {
                    ["field"] = "label", ["type"] = "nominal", ["title"] = labelTitle, ["axis"] = new JsonObject { ["labelAngle"] = 0 },
                    ["sort"] = Strings(labels),
                },
                ["y"] = Axis("value", valueTitle),
            },
        });
    }

    /// <summary>A scatter plot, coloured by group when groups are given (classes of a data set, say).</summary>
    /// <param name="x">The x coordinates.</param>
    /// <param name="y">The y coordinates.</param>
    /// <param name="groups">A group name per point, or <c>null</c>.</param>
    /// <param name="xTitle">The x axis title.</param>
    /// <param name="yTitle">The y axis title.</param>
    public static Chart Points(IReadOnlyList<double> x, IReadOnlyList<double> y, IReadOnlyList<string>? groups = null, string xTitle = "x", string yTitle = "y")
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        if (x.Count != y.Count || (groups is not null && groups.Count != x.Count))
            throw new ArgumentException($"Chart.Points: {x.Count} x values, {y.Count} y values and {groups?.Count ?? x.Count} groups must agree.");
        var values = new JsonArray();
        for (var i = 0; i < x.Count; i++)
        {
            if (!double.IsFinite(x[i]) || !double.IsFinite(y[i]))
                throw new ArgumentException($"Chart.Points: point {i} is ({x[i]}, {y[i]}); coordinates must be finite.");
            var point = new JsonObject { ["x"] = x[i], ["y"] = y[i] };
            if (groups is not null) point["group"] = groups[i];
            values.Add(point);
        }

        var encoding = new JsonObject { ["x"] = Axis("x", xTitle, zero: false), ["y"] = Axis("y", yTitle, zero: false) };
        if (groups is not null)
        {
            encoding["color"] = new JsonObject { ["field"] = "group", ["type"] = "nominal", ["title"] = null, ["legend"] = BottomLegend() };
            // The same legend settings as the colour's, so that the two merge into one legend.
            encoding["shape"] = new JsonObject { ["field"] = "group", ["type"] = "nominal", ["title"] = null, ["legend"] = BottomLegend() };
        }

        return new Chart(new JsonObject
        {
            ["data"] = new JsonObject { ["values"] = values },
            // A dark outline keeps the points visible over a shaded field.
            ["mark"] = new JsonObject { ["type"] = "point", ["filled"] = true, ["size"] = 45, ["opacity"] = 0.9, ["stroke"] = "#1f2937", ["strokeWidth"] = 0.6 },
            ["encoding"] = encoding,
        });
    }

    /// <summary>A matrix as coloured cells, row 0 at the top (a confusion matrix, a weight matrix).</summary>
    /// <param name="values">The cells.</param>
    /// <param name="rowLabels">A label per row (default 0, 1, …).</param>
    /// <param name="columnLabels">A label per column (default 0, 1, …).</param>
    /// <param name="rowTitle">The title of the row axis.</param>
    /// <param name="columnTitle">The title of the column axis.</param>
    /// <param name="annotate">Write each cell's value in it.</param>
    public static Chart Heatmap(
        double[,] values, IReadOnlyList<string>? rowLabels = null, IReadOnlyList<string>? columnLabels = null,
        string rowTitle = "row", string columnTitle = "column", bool annotate = false)
    {
        ArgumentNullException.ThrowIfNull(values);
        int rows = values.GetLength(0), columns = values.GetLength(1);
        rowLabels ??= Enumerable.Range(0, rows).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray();
        columnLabels ??= Enumerable.Range(0, columns).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray();
        if (rowLabels.Count != rows || columnLabels.Count != columns)
            throw new ArgumentException($"Chart.Heatmap: a {rows}×{columns} matrix needs {rows} row labels and {columns} column labels, got {rowLabels.Count} and {columnLabels.Count}.");
        var data = new JsonArray();
        for (var i = 0; i < rows; i++)
        for (var j = 0; j < columns; j++)
            if (double.IsFinite(values[i, j]))
                data.Add(new JsonObject { ["row"] = rowLabels[i], ["column"] = columnLabels[j], ["value"] = values[i, j] });

        JsonObject Band(string field, string title, IReadOnlyList<string> order) => new()
        {
            ["field"] = field, ["type"] = "ordinal", ["title"] = title,
            ["sort"] = Strings(order),
        };

        var encoding = new JsonObject
        {
            ["x"] = Band("column", columnTitle, columnLabels),
            ["y"] = Band("row", rowTitle, rowLabels),
        };
        var rect = new JsonObject
        {
            ["mark"] = "rect",
            ["encoding"] = new JsonObject { ["color"] = new JsonObject { ["field"] = "value", ["type"] = "quantitative", ["title"] = null } },
        };
        var layers = new JsonArray { rect };
        if (annotate)
        {
            var max = values.Cast<double>().Where(double.IsFinite).DefaultIfEmpty(0).Max();
            layers.Add(new JsonObject
            {
                ["mark"] = new JsonObject { ["type"] = "text", ["fontSize"] = 10 },
                ["encoding"] = new JsonObject
                {
                    ["text"] = new JsonObject { ["field"] = "value", ["type"] = "quantitative", ["format"] = ".4~g" },
                    ["color"] = new JsonObject
                    {
                        ["condition"] = new JsonObject { ["test"] = $"datum.value > {Number(max / 2)}", ["value"] = "white" },
                        ["value"] = "black",
                    },
                },
            });
        }

        return new Chart(new JsonObject { ["data"] = new JsonObject { ["values"] = data }, ["encoding"] = encoding, ["layer"] = layers });
    }

    /// <summary>
    /// A function of two variables shaded over a rectangle, on a resolution × resolution grid: the picture of a
    /// classifier's output behind its data (layer it under <see cref="Points"/> to show a decision boundary).
    /// </summary>
    /// <param name="f">The function; for a classifier, the probability of the positive class.</param>
    /// <param name="xMin">The left edge.</param>
    /// <param name="xMax">The right edge.</param>
    /// <param name="yMin">The bottom edge.</param>
    /// <param name="yMax">The top edge.</param>
    /// <param name="resolution">Cells per side.</param>
    /// <param name="valueTitle">The legend title.</param>
    /// <param name="domain">The value range the colours span (default [0, 1], for probabilities).</param>
    public static Chart Field(
        Func<double, double, double> f, double xMin, double xMax, double yMin, double yMax,
        int resolution = 50, string valueTitle = "output", (double Low, double High)? domain = null)
    {
        ArgumentNullException.ThrowIfNull(f);
        if (resolution < 2) throw new ArgumentOutOfRangeException(nameof(resolution), resolution, "Chart.Field needs at least 2 cells per side.");
        if (!(xMax > xMin && yMax > yMin)) throw new ArgumentException($"Chart.Field: empty rectangle [{xMin}, {xMax}] × [{yMin}, {yMax}].");
        var (low, high) = domain ?? (0.0, 1.0);
        double dx = (xMax - xMin) / resolution, dy = (yMax - yMin) / resolution;
        var data = new JsonArray();
        for (var i = 0; i < resolution; i++)
        for (var j = 0; j < resolution; j++)
        {
            double x = xMin + i * dx, y = yMin + j * dy, value = f(x + dx / 2, y + dy / 2);
            if (!double.IsFinite(value)) continue; // a cell with no value is left blank
            data.Add(new JsonObject
            {
                ["x"] = Round(x), ["x2"] = Round(x + dx), ["y"] = Round(y), ["y2"] = Round(y + dy), ["value"] = Round(value),
            });
        }

        JsonObject Edge(string field) => new() { ["field"] = field, ["type"] = "quantitative", ["scale"] = new JsonObject { ["zero"] = false, ["nice"] = false }, ["title"] = null };
        return new Chart(new JsonObject
        {
            ["data"] = new JsonObject { ["values"] = data },
            // Light blue-white-orange, and each cell outlined in its own colour so that no seams show between cells.
            ["mark"] = new JsonObject { ["type"] = "rect", ["strokeWidth"] = 0.6 },
            ["encoding"] = new JsonObject
            {
                ["x"] = Edge("x"), ["x2"] = new JsonObject { ["field"] = "x2" },
                ["y"] = Edge("y"), ["y2"] = new JsonObject { ["field"] = "y2" },
                ["color"] = Shade(valueTitle, low, high),
                ["stroke"] = Shade(null, low, high),
            },
        });
    }

    /// <summary>Charts drawn on top of each other, sharing axes (the first one's size and title are kept).</summary>
    public static Chart Layer(params Chart[] layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        if (layers.Length == 0) throw new ArgumentException("Chart.Layer needs at least one chart.", nameof(layers));
        var inner = layers.Select(l => l.Inner()).ToArray();
        // The layers share their axes, so they share their titles: a layer that gives none (a Field under Points)
        // takes the first title another layer gives, instead of erasing it (Vega-Lite would merge them).
        foreach (var channel in new[] { "x", "y" })
        {
            var title = inner.Select(l => l["encoding"]?[channel]?["title"]).FirstOrDefault(t => t is not null && t.ToString().Length > 0);
            if (title is null) continue;
            foreach (var l in inner)
                if (l["encoding"]?[channel] is JsonObject axis && (axis["title"] is null || axis["title"]!.ToString().Length == 0))
                    axis["title"] = title.DeepClone();
        }

        var spec = new JsonObject { ["layer"] = new JsonArray(inner.Select(l => (JsonNode?)l).ToArray()) };
        foreach (var key in new[] { "title", "width", "height" })
            if (layers[0].spec[key] is { } value)
                spec[key] = value.DeepClone();
        spec["resolve"] = new JsonObject { ["scale"] = new JsonObject { ["color"] = "independent", ["shape"] = "independent" } };
        return new Chart(spec);
    }

    /// <summary>Charts side by side, <paramref name="columns"/> to a row (small multiples).</summary>
    public static Chart Grid(IEnumerable<Chart> charts, int columns = 2)
    {
        ArgumentNullException.ThrowIfNull(charts);
        if (columns < 1) throw new ArgumentOutOfRangeException(nameof(columns), columns, "Chart.Grid needs at least one column.");
        var all = charts.Select(c => (JsonNode?)c.spec.DeepClone()).ToArray();
        if (all.Length == 0) throw new ArgumentException("Chart.Grid needs at least one chart.", nameof(charts));
        return new Chart(new JsonObject
        {
            ["concat"] = new JsonArray(all), ["columns"] = columns,
            // Each chart keeps its own colours and shapes: a shared shape scale would draw one more legend, in
            // black, apart from the charts' colour legends.
            ["resolve"] = new JsonObject { ["scale"] = new JsonObject { ["color"] = "independent", ["shape"] = "independent" } },
        });
    }

    /// <summary>The same chart with a title.</summary>
    public Chart WithTitle(string title) => With("title", title);

    /// <summary>The same chart drawn <paramref name="width"/> × <paramref name="height"/> pixels.</summary>
    public Chart WithSize(int width, int height)
    {
        if (width < 1 || height < 1) throw new ArgumentOutOfRangeException(nameof(width), $"Chart size {width}×{height} must be positive.");
        if (spec.ContainsKey("concat"))
            throw new InvalidOperationException("Chart.WithSize: size the charts of a grid one by one, before Chart.Grid.");
        return With("width", width).With("height", height);
    }

    /// <summary>The Vega-Lite specification as JSON.</summary>
    public string ToJson(bool indented = false)
    {
        var full = new JsonObject { ["$schema"] = Schema };
        foreach (var (key, value) in spec) full[key] = value?.DeepClone();
        return full.ToJsonString(new JsonSerializerOptions { WriteIndented = indented });
    }

    /// <summary>
    /// The chart as an HTML fragment: a <c>&lt;figure&gt;</c> holding the chart and a script that renders it as SVG.
    /// The page must load the <see cref="ChartScripts"/> first. <paramref name="name"/> becomes the figure's id.
    /// </summary>
    /// <param name="name">The figure's id and <c>data-figure</c> name (letters, digits and dashes).</param>
    /// <param name="caption">A caption under the chart, or <c>null</c>.</param>
    public string ToHtml(string name, string? caption = null)
    {
        var id = Figure.CheckName(name);
        // JSON inside a script element: "</" must not appear in it; the escaping encoder writes "<" as \u003C.
        var json = JsonSerializer.Serialize(JsonNode.Parse(ToJson()), new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.Default });
        var body = $"<div class=\"hybrid-chart\"></div>\n<script>vegaEmbed(\"#{id} > .hybrid-chart\", {json}, {{actions: false, renderer: \"svg\"}}).catch(e => console.error(\"chart {id}: \" + e));</script>";
        return Figure.Wrap(id, body, caption);
    }

    /// <inheritdoc/>
    public override string ToString() => ToJson();

    JsonObject Inner()
    {
        var copy = (JsonObject)spec.DeepClone();
        copy.Remove("title");
        copy.Remove("width");
        copy.Remove("height");
        return copy;
    }

    Chart With(string key, JsonNode? value)
    {
        var copy = (JsonObject)spec.DeepClone();
        copy[key] = value;
        return new Chart(copy);
    }

    // Tick values at whole numbers (a step of 1, 2, 5, 10, … giving at most 10 ticks) when every value is whole;
    // otherwise null (the axis ticks itself).
    static JsonArray? WholeTicks(double[] values, bool includeZero)
    {
        if (values.Length == 0 || values.Any(v => v != Math.Round(v))) return null;
        double low = values.Min(), high = values.Max();
        if (includeZero) (low, high) = (Math.Min(low, 0), Math.Max(high, 0));
        var step = 1.0;
        for (var k = 1; (high - low) / step > 10; k++) step = new[] { 1.0, 2.0, 5.0 }[k % 3] * Math.Pow(10, k / 3);
        var ticks = new JsonArray();
        for (var v = Math.Ceiling(low / step) * step; v <= high; v += step) ticks.Add(v);
        return ticks;
    }

    static JsonArray Strings(IEnumerable<string> values) => new(values.Select(s => (JsonNode?)JsonValue.Create(s)).ToArray());

    // Legends under the plot leave the width to the data, which matters in grids and narrow pages.
    static JsonObject BottomLegend() => new() { ["orient"] = "bottom", ["columns"] = 3, ["symbolLimit"] = 0 };

    static JsonObject Shade(string? title, double low, double high)
    {
        var shade = new JsonObject
        {
            ["field"] = "value", ["type"] = "quantitative",
            ["scale"] = new JsonObject
            {
                ["domain"] = new JsonArray(low, (low + high) / 2, high),
                // Low blue, high orange: the colours the points of classes 0 and 1 get, so a class's points sit on its region.
                ["range"] = new JsonArray("#67a9cf", "#f7f7f7", "#ef8a62"),
            },
        };
        if (title is null) shade["legend"] = null;
        else shade["title"] = title;
        return shade;
    }

    static JsonObject Axis(string field, string title, bool zero = true)
    {
        var axis = new JsonObject { ["field"] = field, ["type"] = "quantitative", ["title"] = title };
        if (!zero) axis["scale"] = new JsonObject { ["zero"] = false };
        return axis;
    }

    static double Round(double v) => Math.Round(v, 5);

    static string Number(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}
