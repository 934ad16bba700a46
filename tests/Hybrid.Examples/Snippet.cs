using System.Net;
using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;

namespace Hybrid.Examples;

/// <summary>The source of the examples, for the documentation pages: a whole file or one <c>#region</c> of it.</summary>
public static partial class Snippet
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

    /// <summary>
    /// C# code as an HTML code block, highlighted with the classes fsdocs' style sheet colours F# with (keywords
    /// <c>k</c>, strings <c>s</c>, comments <c>c</c>, numbers <c>n</c>, type names <c>rt</c>).
    /// </summary>
    public static string Block(string code) =>
        $"<pre class=\"csharp fssnip highlighted\"><code lang=\"csharp\">{Highlight(code)}</code></pre>\n";

    static readonly HashSet<string> Keywords =
    [
        "abstract", "as", "async", "await", "base", "bool", "break", "case", "catch", "char", "class", "const",
        "continue", "default", "do", "double", "else", "enum", "false", "finally", "float", "for", "foreach", "if",
        "in", "int", "interface", "internal", "is", "long", "namespace", "new", "null", "out", "override", "params",
        "private", "protected", "public", "readonly", "record", "ref", "return", "sealed", "static", "string",
        "struct", "switch", "this", "throw", "true", "try", "typeof", "using", "var", "void", "while", "with",
    ];

    /// <summary>A small C# tokenizer: enough for the docs' snippets, not a parser.</summary>
    static string Highlight(string code)
    {
        var b = new StringBuilder();
        foreach (Match m in Token().Matches(code))
        {
            var text = WebUtility.HtmlEncode(m.Value);
            var kind = m.Groups["comment"].Success ? "c"
                : m.Groups["string"].Success ? "s"
                : m.Groups["number"].Success ? "n"
                : m.Groups["word"].Success && Keywords.Contains(m.Value) ? "k"
                : m.Groups["word"].Success && char.IsUpper(m.Value[0]) ? "rt"
                : null;
            b.Append(kind is null ? text : $"<span class=\"{kind}\">{text}</span>");
        }

        return b.ToString();
    }

    [GeneratedRegex("""(?<comment>//[^\n]*)|(?<string>\$?@?"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)')|(?<number>\b\d[\d_]*(?:\.\d+)?(?:[eE][-+]?\d+)?[fFdDmMLuU]?\b)|(?<word>[A-Za-z_][A-Za-z0-9_]*)|(?<other>[\s\S])""")]
    private static partial Regex Token();

    static string Source(string file)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(file)
                           ?? throw new ArgumentException($"no example file {file} is embedded.", nameof(file));
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }
}
