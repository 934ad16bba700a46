namespace Hybrid.Charts;

/// <summary>
/// KaTeX, which typesets the docs site's equations in the browser: a pinned npm package, fetched once
/// (<c>npm pack</c>), every file SHA-256 checked and kept in Hybrid's cache (<c>$HYBRID_DATA/katex</c> or
/// <c>~/.cache/hybrid/katex</c>), like the <see cref="ChartScripts"/>. Only the WOFF2 fonts are taken: every browser
/// that runs KaTeX reads them, and the style sheet names them first.
/// </summary>
public static class MathScripts
{
    /// <summary>The npm package the files come from.</summary>
    public const string Package = "katex@0.16.22";

    static readonly IO.PackagedFile[] Files =
    [
        new("dist/katex.min.js", 276701, "e8d885505949f3a5f4abdd5dd0d53696bd1371ad26ffbf4f310dcd77c8cdae89"),
        new("dist/katex.min.css", 23352, "19095127357ed6d29fe0a63a6b000c913a89f7f1963b765dd3715e97c9852e75"),
        new("dist/contrib/auto-render.min.js", 3467, "bb53eb953394531aae36fdd537065c4244eb8542901a3ce914601d932675b8ac"),
        new("dist/fonts/KaTeX_AMS-Regular.woff2", 28076, "0cdd387c9590a1a9f9794560022dbb59654a7d86f187aa0c81495ad42d3a7308"),
        new("dist/fonts/KaTeX_Caligraphic-Bold.woff2", 6912, "de7701e42cf1f4cf0b766c03fb27977207eee2f4fd5d76fa82188406da43ea4c"),
        new("dist/fonts/KaTeX_Caligraphic-Regular.woff2", 6908, "5d53e70ad607c2352162dec9e0923fb54ecdafaccbf604cd8dcf7d00facb989b"),
        new("dist/fonts/KaTeX_Fraktur-Bold.woff2", 11348, "74444efd593c005e3f4573b44524704c0af0a937fe911cca9e94068d0d140d3f"),
        new("dist/fonts/KaTeX_Fraktur-Regular.woff2", 11316, "51814d270d06ff0255dba0799994fa4d8c84d11f09951d47595f4abb1f3602dc"),
        new("dist/fonts/KaTeX_Main-Bold.woff2", 25324, "0f60d1b897938ec918c8ce073092411baf9438f6739465693ff18b0f9d20b021"),
        new("dist/fonts/KaTeX_Main-BoldItalic.woff2", 16780, "99cd42a3c072d918f2f44984a807cf7aa16e13545fd0875fc07c6c65f99e715b"),
        new("dist/fonts/KaTeX_Main-Italic.woff2", 16988, "97479ca6cce906abc961ecac96faa5f9ca2e61b8e7670d475826bcdee9a7c267"),
        new("dist/fonts/KaTeX_Main-Regular.woff2", 26272, "c2342cd8b869e01752a9321dc17213fc40d4d04c79688c1d43f2cf316abd7866"),
        new("dist/fonts/KaTeX_Math-BoldItalic.woff2", 16400, "dc47344dbb6cb5b655c8460d561f4df5f501b90c804ad3c6cec65fe322351ab1"),
        new("dist/fonts/KaTeX_Math-Italic.woff2", 16440, "7af58c5ec8f132a2ddde9027c6d7814decce4d3b822a11192a42a20e2e973264"),
        new("dist/fonts/KaTeX_SansSerif-Bold.woff2", 12216, "e99ae51144bf1232efcc1bfe5add36262c6866b0faab24fa75740e1b98577a62"),
        new("dist/fonts/KaTeX_SansSerif-Italic.woff2", 12028, "00b26ac825e2095056396e0553b8ac26d3f8ad158c3826e28b4c45b385c4714a"),
        new("dist/fonts/KaTeX_SansSerif-Regular.woff2", 10344, "68e8c73ef42afd3ccec58bf0fba302cce448938e7fc020a5e31f8a952eee1342"),
        new("dist/fonts/KaTeX_Script-Regular.woff2", 9644, "036d4e95149b69ff9bcc0cd55771efeb25ffa3947293e69acd78d5ac328c684b"),
        new("dist/fonts/KaTeX_Size1-Regular.woff2", 5468, "6b47c40166b6dbe21a5dfca7718413f2147fd2399be1ba605d8ad39cedf25dfe"),
        new("dist/fonts/KaTeX_Size2-Regular.woff2", 5208, "d04c54219f9eaec6d4d4fd42dfb28785975a4794d6b2fc71e566b9cd6db842dd"),
        new("dist/fonts/KaTeX_Size3-Regular.woff2", 3624, "73d591271b1604960cb10bb90fee021670af7297017e0e98480b332d11f51995"),
        new("dist/fonts/KaTeX_Size4-Regular.woff2", 4928, "a4af7d414440a1c1790825cfb700cf9cf43b0f2c4b04f0ebc523011ad9853ec0"),
        new("dist/fonts/KaTeX_Typewriter-Regular.woff2", 13568, "71d517d67827787cfabdf186914cc3358eda539e37931941f2b2fd4a21f68c0b"),
    ];

    /// <summary>The cache folder of the files.</summary>
    public static string CacheFolder => Path.Combine(IO.NpmCache.Root, "katex");

    /// <summary>Makes sure the files are in the cache, fetching them with npm if needed, and returns their full paths.</summary>
    /// <param name="log">Receives a line per step of a fetch.</param>
    public static IReadOnlyList<string> Ensure(Action<string>? log = null)
    {
        IO.NpmCache.Ensure(Package, CacheFolder, Files, "KaTeX", log);
        return Files.Select(f => Path.Combine(CacheFolder, f.Name)).ToArray();
    }

    /// <summary>
    /// Copies KaTeX into <paramref name="folder"/> as its style sheet expects: <c>katex.min.js</c>,
    /// <c>katex.min.css</c> and <c>auto-render.min.js</c> in the folder, the fonts in <c>fonts/</c> under it.
    /// </summary>
    public static void CopyTo(string folder, Action<string>? log = null)
    {
        var fonts = Path.Combine(folder, "fonts");
        Directory.CreateDirectory(fonts);
        foreach (var path in Ensure(log))
        {
            var name = Path.GetFileName(path);
            File.Copy(path, Path.Combine(name.EndsWith(".woff2", StringComparison.Ordinal) ? fonts : folder, name), overwrite: true);
        }
    }
}
