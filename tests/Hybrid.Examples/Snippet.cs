using System.Net;
using System.Reflection;
using System.Text;

namespace Hybrid.Examples;

/// <summary>The source of the examples, for the documentation pages: a whole file or one <c>#region</c> of it.</summary>
public static class Snippet
{
    /// <summary>The lines of <c>#region name</c> in an example file, unindented.</summary>
    public static string Region(string file, string name)
    {
        var lines = Source(file).Split('\n').Select(l => l.TrimEnd('\r')).ToArray();
        var start = Array.FindIndex(lines, l => l.Trim() == $"#region {name}");
        if (start < 0) throw new ArgumentException($"{file} has no #region {name}.", nameof(name));
        var end = Array.FindIndex(lines, start + 1, l => l.Trim().StartsWith("#endregion", StringComparison.Ordinal));
        if (end < 0) throw new ArgumentException($"{file}: #region {name} is not closed.", nameof(name));
        var body = lines[(start + 1)..end].Where(l => !l.Trim().StartsWith("#region", StringComparison.Ordinal) && !l.Trim().StartsWith("#endregion", StringComparison.Ordinal)).ToArray();
        var indent = body.Where(l => l.Trim().Length > 0).Select(l => l.Length - l.TrimStart().Length).DefaultIfEmpty(0).Min();
        return string.Join('\n', body.Select(l => l.Length >= indent ? l[indent..] : l.TrimStart()));
    }

    /// <summary>A region as an HTML code block marked as C#.</summary>
    public static string Html(string file, string name) => Block(Region(file, name));

    /// <summary>C# code as an HTML code block.</summary>
    public static string Block(string code) =>
        $"<pre class=\"csharp\"><code class=\"language-csharp\">{WebUtility.HtmlEncode(code)}</code></pre>\n";

    static string Source(string file)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(file)
                           ?? throw new ArgumentException($"no example file {file} is embedded.", nameof(file));
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }
}
