using System.Net;
using System.Text;
using Hybrid.IO;

namespace Hybrid.Charts;

/// <summary>
/// A self-contained HTML report: headings, paragraphs, charts and drawings in one file that opens offline in any
/// browser (the chart scripts are inlined). <c>hybrid train … --report report.html</c> writes one with the learning
/// curves and the confusion matrix.
/// </summary>
public sealed class Report
{
    readonly string title;
    readonly StringBuilder body = new();
    int figures;

    /// <summary>An empty report with a title.</summary>
    public Report(string title)
    {
        ArgumentNullException.ThrowIfNull(title);
        this.title = title;
    }

    /// <summary>Adds a section heading.</summary>
    public Report Heading(string text)
    {
        body.Append("<h2>").Append(WebUtility.HtmlEncode(text)).Append("</h2>\n");
        return this;
    }

    /// <summary>Adds a paragraph of plain text.</summary>
    public Report Paragraph(string text)
    {
        body.Append("<p>").Append(WebUtility.HtmlEncode(text)).Append("</p>\n");
        return this;
    }

    /// <summary>Adds a table: a header row and rows of cells (plain text).</summary>
    public Report Table(IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows)
    {
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(rows);
        body.Append("<table>\n<tr>");
        foreach (var h in header) body.Append("<th>").Append(WebUtility.HtmlEncode(h)).Append("</th>");
        body.Append("</tr>\n");
        foreach (var row in rows)
        {
            body.Append("<tr>");
            foreach (var cell in row) body.Append("<td>").Append(WebUtility.HtmlEncode(cell)).Append("</td>");
            body.Append("</tr>\n");
        }

        body.Append("</table>\n");
        return this;
    }

    /// <summary>Adds a chart, with an optional caption.</summary>
    public Report Add(Chart chart, string? caption = null)
    {
        ArgumentNullException.ThrowIfNull(chart);
        body.Append(chart.ToHtml($"figure-{++figures}", caption));
        return this;
    }

    /// <summary>Adds an SVG drawing (see <see cref="Drawing"/>), with an optional caption.</summary>
    public Report AddSvg(string svg, string? caption = null)
    {
        ArgumentNullException.ThrowIfNull(svg);
        body.Append(Figure.Html($"figure-{++figures}", svg, caption));
        return this;
    }

    /// <summary>The whole HTML document, with the given script elements in its head.</summary>
    public string ToHtml(string scripts) =>
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n" +
        $"<title>{WebUtility.HtmlEncode(title)}</title>\n" +
        "<style>body{font-family:system-ui,sans-serif;max-width:960px;margin:2em auto;padding:0 1em;color:#111827}" +
        "figure{margin:1.5em 0}figcaption{color:#4b5563;font-size:0.9em}table{border-collapse:collapse}" +
        "td,th{border:1px solid #d1d5db;padding:0.25em 0.6em;text-align:right}</style>\n" +
        scripts + "</head>\n<body>\n" + $"<h1>{WebUtility.HtmlEncode(title)}</h1>\n" + body + "</body>\n</html>\n";

    /// <summary>
    /// Writes the report to <paramref name="path"/> atomically, with the chart scripts inlined (fetched into Hybrid's
    /// cache with npm the first time, see <see cref="ChartScripts"/>).
    /// </summary>
    public void Save(string path, Action<string>? log = null)
    {
        var html = Encoding.UTF8.GetBytes(ToHtml(ChartScripts.Inline(log)));
        Files.WriteAtomic(path, stream => stream.Write(html));
    }
}
