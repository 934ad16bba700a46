using System.Text;
using Hybrid.IO;

namespace Hybrid.Charts;

/// <summary>
/// The JavaScript that renders Hybrid's charts in a browser: Vega, Vega-Lite and vega-embed, pinned versions fetched
/// once from npm (<c>npm pack</c>), SHA-256 checked and kept in Hybrid's cache (<c>$HYBRID_DATA/charts</c> or
/// <c>~/.cache/hybrid/charts</c>). A <see cref="Report"/> inlines them, so its HTML works offline; the docs site copies them.
/// </summary>
public static class ChartScripts
{
    /// <summary>The npm packages the scripts come from, in load order (vega-embed needs the other two).</summary>
    public static IReadOnlyList<string> Packages { get; } = ["vega@6.2.0", "vega-lite@6.4.1", "vega-embed@7.1.0"];

    static readonly PackagedFile[][] Files =
    [
        [new("build/vega.min.js", 512401, "ea6a5936381d06f912466354e2b6a20eb66c4d41f1ca9dff1e0236dfee6ee392")],
        [new("build/vega-lite.min.js", 249075, "6d5035fdd429b4bc6f91f3754426c3f516f3dbd8e08b105cfc2496bed4ebd254")],
        [new("build/vega-embed.min.js", 60077, "c36254270219eee58fb9b1d954decad954fb07bfc9ab780c5d4401bd445cd50c")],
    ];

    /// <summary>The cache folder of the scripts.</summary>
    public static string CacheFolder => Path.Combine(NpmCache.Root, "charts");

    /// <summary>The script files' names, in load order.</summary>
    public static IReadOnlyList<string> FileNames { get; } = Files.Select(f => f[0].Name).ToArray();

    /// <summary>Makes sure the scripts are in the cache, fetching them with npm if needed, and returns their full paths in load order.</summary>
    /// <param name="log">Receives a line per step of a fetch.</param>
    public static IReadOnlyList<string> Ensure(Action<string>? log = null)
    {
        for (var i = 0; i < Packages.Count; i++)
            NpmCache.Ensure(Packages[i], CacheFolder, Files[i], "the chart scripts", log);
        return FileNames.Select(name => Path.Combine(CacheFolder, name)).ToArray();
    }

    /// <summary>Copies the scripts into <paramref name="folder"/> (for a web site that serves them as files).</summary>
    public static void CopyTo(string folder, Action<string>? log = null)
    {
        Directory.CreateDirectory(folder);
        foreach (var path in Ensure(log)) File.Copy(path, Path.Combine(folder, Path.GetFileName(path)), overwrite: true);
    }

    /// <summary>The <c>&lt;script&gt;</c> elements that load the scripts from <paramref name="baseUrl"/> (a site's folder of copies).</summary>
    public static string Tags(string baseUrl) =>
        string.Concat(FileNames.Select(name => $"<script src=\"{baseUrl.TrimEnd('/')}/{name}\"></script>\n"));

    /// <summary>The scripts' text inside <c>&lt;script&gt;</c> elements, for a self-contained HTML file.</summary>
    public static string Inline(Action<string>? log = null)
    {
        var b = new StringBuilder();
        foreach (var path in Ensure(log))
            // A script's text may not contain "</script"; the minified bundles do not, and this keeps it so.
            b.Append("<script>").Append(File.ReadAllText(path).Replace("</script", "<\\/script")).Append("</script>\n");
        return b.ToString();
    }
}
