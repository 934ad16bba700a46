using System.Net;
using System.Reflection;
using System.Text.RegularExpressions;

namespace Hybrid.Docs.Tests;

/// <summary>
/// The C# API page (csharp-api.html) lists every public type of the Hybrid assembly, and its members as the source
/// declares them: the signatures below are read from the source files, defaults and all.
/// </summary>
public partial class CSharpApiTests
{
    static readonly Lazy<string> Page = new(() =>
    {
        var file = Path.Combine(Site.Folder, "csharp-api.html");
        Assert.True(File.Exists(file), $"{file} is missing: build the site with ./build/docs.sh");
        return File.ReadAllText(file);
    });

    // The text of the page's code blocks, tags removed and white space collapsed.
    static readonly Lazy<string> Code = new(() =>
        Collapse(WebUtility.HtmlDecode(string.Join(" ", Pre().Matches(Page.Value).Select(m => Tag().Replace(m.Groups[1].Value, ""))))));

    [Fact]
    public void Every_public_type_of_the_Hybrid_assembly_has_an_entry()
    {
        // The copy beside the examples: its dependencies lie in the same folder, so its types load.
        var dll = Path.Combine(Site.Repository, "tests", "Hybrid.Examples", "bin", "Release", "net10.0", "Hybrid.dll");
        var types = Assembly.LoadFrom(dll).GetExportedTypes();
        Assert.True(types.Length > 50, $"Hybrid.dll exports {types.Length} types");
        var missing = types.Select(t => t.FullName!.Replace('+', '.').Replace('`', '-'))
            .Where(id => !Page.Value.Contains($"id=\"{id}\"", StringComparison.Ordinal)).ToArray();
        Assert.True(missing.Length == 0, $"{missing.Length} public types without an entry: " + string.Join(", ", missing));
    }

    /// <summary>A member documented with &lt;inheritdoc/&gt;, and the XML file holding the summary it inherits.</summary>
    public static TheoryData<string, string, string> Inherited => new()
    {
        // FastKernels<T> implements Hybrid.Core's IKernels<T> (an F# interface).
        { "FastKernels<T>", "Hybrid.Core.xml", "M:Hybrid.Core.IKernels`1.Gemm(" },
        // The providers implement MathNet's ILinearAlgebraProvider<T>.
        { "SimdProvider", "MathNet.Numerics.xml", "M:MathNet.Numerics.Providers.LinearAlgebra.ILinearAlgebraProvider`1.MatrixMultiplyWithUpdate(" },
    };

    [Theory]
    [MemberData(nameof(Inherited))]
    public void An_inherited_summary_is_shown_on_the_implementing_member(string type, string xml, string id)
    {
        var doc = System.Xml.Linq.XDocument.Load(Path.Combine(Site.Repository, "tests", "Hybrid.Examples", "bin", "Release", "net10.0", xml));
        var member = doc.Descendants("member").First(m => m.Attribute("name")!.Value.StartsWith(id, StringComparison.Ordinal));
        var summary = Collapse(member.Element("summary")!.Value);
        var entry = Regex.Match(Page.Value, $"<h3>[a-z ]+ {Regex.Escape(WebUtility.HtmlEncode(type))}</h3>(.*?)</section>", RegexOptions.Singleline);
        Assert.True(entry.Success, $"no entry for {type}");
        var text = Collapse(WebUtility.HtmlDecode(Tag().Replace(entry.Groups[1].Value, " ")));
        Assert.True(text.Contains(summary, StringComparison.Ordinal), $"{type}'s entry does not show the inherited summary '{summary}'");
        Assert.DoesNotContain("Documented on the member", Page.Value, StringComparison.Ordinal);
    }

    /// <summary>A declaration in a source file (from its first words to its closing parenthesis), and what the page shows.</summary>
    public static TheoryData<string, string, string> Declarations => new()
    {
        { "src/Hybrid/Model.cs", "public History Fit(", "public History Fit(" },
        { "src/Hybrid/Model.cs", "public Evaluation Evaluate(", "public Evaluation Evaluate(" },
        { "src/Hybrid/Network.cs", "public Model Compile(", "public Model Compile(" },
        { "src/Hybrid/Network.cs", "public SequentialBuilder Dense(", "public SequentialBuilder Dense(" },
        { "src/Hybrid/Network.cs", "public static Model Load(", "public static Model Load(" },
        { "src/Hybrid/Data/ToyData.cs", "public static Dataset Circles(", "public static Dataset Circles(" },
        { "src/Hybrid/Data/Mnist.cs", "public static MnistData Load(", "public static MnistData Load(" },
        // A record's primary constructor is a constructor on the page.
        { "src/Hybrid/CustomLayer.cs", "public sealed record LayerParameter(", "public LayerParameter(" },
    };

    [Theory]
    [MemberData(nameof(Declarations))]
    public void A_signature_appears_as_the_source_declares_it(string file, string start, string shown)
    {
        var source = File.ReadAllText(Path.Combine(Site.Repository, file));
        var at = source.IndexOf(start, StringComparison.Ordinal);
        Assert.True(at >= 0, $"{file} no longer declares '{start}'");
        var open = at + start.Length - 1;
        var depth = 0;
        var end = open;
        do
        {
            depth += source[end] == '(' ? 1 : source[end] == ')' ? -1 : 0;
            end++;
        } while (depth > 0);

        var parameters = Collapse(source[(open + 1)..(end - 1)]);
        // A number is shown by its value (1e4 as 10000, 1e-8 as 1E-08, as .NET writes a double).
        parameters = Exponent().Replace(parameters, m => double.Parse(m.Value, System.Globalization.CultureInfo.InvariantCulture)
            .ToString("R", System.Globalization.CultureInfo.InvariantCulture));
        Assert.Contains("=", parameters);
        var expected = $"{shown}{parameters});";
        Assert.True(Code.Value.Contains(expected, StringComparison.Ordinal), $"the page does not show\n{expected}\n(from {file})");
    }

    static string Collapse(string s) => Space().Replace(s, " ").Replace("( ", "(").Replace(" )", ")").Trim();

    [GeneratedRegex(@"<pre[^>]*>(.*?)</pre>", RegexOptions.Singleline)]
    private static partial Regex Pre();

    [GeneratedRegex("<[^>]+>")]
    private static partial Regex Tag();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Space();

    [GeneratedRegex(@"(?<![\w.])\d+(\.\d+)?[eE][+-]?\d+")]
    private static partial Regex Exponent();
}
