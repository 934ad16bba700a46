using System.Net;
using System.Text.RegularExpressions;

namespace Hybrid.Charts;

/// <summary>
/// A figure on a page: a chart or a drawing inside <c>&lt;figure id="name" data-figure="name"&gt;</c> with an
/// optional caption. The name lets a test (or a reader's link) find the figure.
/// </summary>
public static partial class Figure
{
    /// <summary>SVG (or any HTML) as a named figure.</summary>
    /// <param name="name">The figure's id (letters, digits and dashes, starting with a letter).</param>
    /// <param name="content">The SVG or HTML inside the figure.</param>
    /// <param name="caption">A caption (plain text), or <c>null</c>.</param>
    public static string Html(string name, string content, string? caption = null)
    {
        ArgumentNullException.ThrowIfNull(content);
        return Wrap(CheckName(name), content, caption);
    }

    internal static string Wrap(string id, string body, string? caption) =>
        $"<figure class=\"hybrid-figure\" id=\"{id}\" data-figure=\"{id}\">\n{body}\n" +
        (caption is null ? "" : $"<figcaption>{WebUtility.HtmlEncode(caption)}</figcaption>\n") + "</figure>\n";

    internal static string CheckName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!NamePattern().IsMatch(name))
            throw new ArgumentException($"figure name '{name}' must start with a letter and hold only letters, digits and dashes.", nameof(name));
        return name;
    }

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9-]*$")]
    private static partial Regex NamePattern();
}
