using Microsoft.Playwright;

namespace Hybrid.Docs.Tests;

/// <summary>Every page of the site opens offline without errors and every figure it should show is drawn.</summary>
public partial class PageTests(Site site) : IClassFixture<Site>
{
    /// <summary>Each page and the figures it must show (the ids of its <c>figure data-figure</c> elements).</summary>
    public static readonly Dictionary<string, string[]> Figures = new()
    {
        ["index.html"] = [],
        ["getting-started.html"] = ["csharp-curves"],
        ["graph.html"] = ["expression-graph"],
        ["losses.html"] = ["loss-gradients"],
        ["backpropagation.html"] = ["backprop-differences", "backprop-training"],
        ["symmetry.html"] = ["symmetry"],
        ["deep-network.html"] = ["deep-gradient-norms", "deep-training"],
        ["optimizers.html"] = ["optimizer-trajectories", "optimizer-sweep"],
        ["vectorization.html"] = ["vectorization-times"],
        ["perceptron.html"] = ["perceptron-errors", "perceptron-boundaries", "xor-hidden-boundary"],
        ["logistic-regression.html"] = ["logistic-graph", "logistic-loss", "logistic-boundary"],
        ["hidden-layer.html"] = ["hidden-boundary", "hidden-space"],
        ["network-drawing.html"] = ["xor-network", "mnist-network"],
        ["activations.html"] = ["activation-functions", "activation-derivatives"],
        ["initialization.html"] = ["init-activations", "init-gradients"],
        ["optimization.html"] = ["batch-sizes", "optimizers", "schedules"],
        ["mnist.html"] = ["mnist-curves", "mnist-confusion", "mnist-misclassified"],
        ["framework.html"] = ["framework-loss"],
        ["pytorch-keras.html"] = [],
        ["providers.html"] = ["provider-times"],
        ["extending.html"] = ["swish"],
        ["your-own-pictures.html"] = ["own-pictures-before-after", "own-pictures-steps", "own-pictures-curves"],
        ["benchmarks.html"] = [],
        ["benchmarks-dotnet.html"] = [],
        ["benchmarks-layers.html"] = [],
        ["csharp-api.html"] = [],
        ["reference/index.html"] = [],
    };

    public static TheoryData<string> Pages => new(Figures.Keys);

    [Theory]
    [MemberData(nameof(Pages))]
    public async Task The_page_shows_each_of_its_figures_and_logs_no_errors(string page)
    {
        var (tab, problems) = await site.OpenAsync(page);
        try
        {
            var expected = Figures[page];
            foreach (var name in expected)
            {
                var figure = tab.Locator($"figure[data-figure='{name}']");
                Assert.True(await figure.CountAsync() == 1, $"{page}: figure '{name}' is missing");
                // Charts are drawn by script after load: wait until the figure holds a drawing.
                try
                {
                    await tab.WaitForFunctionAsync(
                        "name => { const f = document.querySelector(`figure[data-figure='${name}']`); return f && f.querySelector('svg, canvas'); }",
                        name, new() { Timeout = 20000 });
                }
                catch (TimeoutException)
                {
                    Assert.Fail($"{page}: figure '{name}' drew nothing in 20 s.\n" + string.Join("\n", problems));
                }

                var drawn = await figure.EvaluateAsync<double[]>(
                    """
                    f => {
                      const svg = f.querySelector('svg');
                      if (svg) {
                        const box = svg.getBoundingClientRect();
                        return [svg.querySelectorAll('path, rect, line, circle, polygon, ellipse, text').length, box.width, box.height];
                      }
                      const canvas = f.querySelector('canvas');
                      const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
                      let painted = 0;
                      for (let i = 3; i < data.length; i += 4) if (data[i] > 0) painted++;
                      return [painted, canvas.width, canvas.height];
                    }
                    """);
                var content = new Drawn(drawn[0], drawn[1], drawn[2]);
                Assert.True(content.Width > 50 && content.Height > 50, $"{page}: figure '{name}' is {content.Width}×{content.Height} px");
                Assert.True(content.Marks >= 5, $"{page}: figure '{name}' holds {content.Marks} marks: nothing was drawn");
                // A chart (Vega) titles both axes of every view, ticks counts at whole numbers, repeats no tick and
                // draws no stray legend.
                var axes = await figure.EvaluateAsync<string[][]>(Site.ChartAxesScript);
                var axisProblems = Site.AxisProblems(axes);
                axisProblems.AddRange(Site.LegendProblems(await figure.EvaluateAsync<string[][]>(Site.ChartLegendsScript)));
                Assert.True(axisProblems.Count == 0, $"{page}: figure '{name}':\n" + string.Join("\n", axisProblems));
                await figure.ScreenshotAsync(new() { Path = Path.Combine(Site.Screenshots, $"{name}.png") });
            }

            // Every figure on the page is one the test knows, so a new figure gets checked too.
            var present = await tab.Locator("figure[data-figure]").EvaluateAllAsync<string[]>("fs => fs.map(f => f.dataset.figure)");
            Assert.Equal(expected.Order(), present.Order());
            await Site.AssertFiguresFitAsync(tab, page);
            await Site.AssertNoRawMathAsync(tab, page);
            if (!page.StartsWith("reference/", StringComparison.Ordinal))
                Assert.True(await tab.Locator("a.notebook").CountAsync() == 1, $"{page}: no link to its notebook");
            await Site.FullPageScreenshotAsync(tab, page.Replace('/', '-').Replace(".html", ".png"));
            Assert.True(problems.Count == 0, $"{page}:\n" + string.Join("\n", problems));
        }
        finally
        {
            await tab.Context.CloseAsync();
        }
    }

    [Fact]
    public void Every_page_of_the_site_is_checked()
    {
        var built = Directory.GetFiles(Site.Folder, "*.html").Select(f => Path.GetFileName(f)).Order();
        Assert.Equal(Figures.Keys.Where(k => !k.Contains('/')).Order(), built);
        // fsdocs copies its NuGet.config (with package feeds of its own) into the output; build/docs.sh removes it.
        Assert.False(File.Exists(Path.Combine(Site.Folder, "NuGet.config")), "output/NuGet.config is published");
        Assert.True(File.Exists(Path.Combine(Site.Folder, "favicon.svg")), "the favicon is missing");
        // Each page is also a notebook (docs/_template.ipynb makes fsdocs write page.ipynb), linked from the page.
        var missing = built.Where(page => !File.Exists(Path.Combine(Site.Folder, Path.ChangeExtension(page, ".ipynb")))).ToArray();
        Assert.True(missing.Length == 0, "pages without a notebook: " + string.Join(", ", missing));
    }

    [Theory]
    [MemberData(nameof(Pages))]
    public async Task At_390_px_the_menu_opens_and_nothing_is_wider_than_the_screen(string page)
    {
        var (tab, problems) = await site.OpenAsync(page, width: 390, height: 844);
        try
        {
            var toggle = tab.Locator("#menu-toggle input");
            Assert.True(await toggle.IsVisibleAsync(), $"{page}: no menu button at 390 px");
            var menu = tab.Locator("#menu-toggle .menu");
            Assert.False(await menu.IsVisibleAsync(), $"{page}: the menu is open before it is asked for");
            await toggle.ClickAsync();
            await tab.WaitForFunctionAsync(
                "() => getComputedStyle(document.querySelector('#menu-toggle .menu')).visibility === 'visible'",
                null, new() { Timeout = 5000 });
            var links = await tab.Locator("#menu-toggle .menu a.nav-link").CountAsync();
            Assert.True(links >= Figures.Count - 2, $"{page}: the open menu holds {links} links");
            await toggle.ClickAsync();
            foreach (var name in Figures[page])
                await tab.WaitForFunctionAsync(
                    "name => document.querySelector(`figure[data-figure='${name}'] svg, figure[data-figure='${name}'] canvas`)",
                    name, new() { Timeout = 20000 });
            await Site.AssertFiguresFitAsync(tab, page);
            var scroll = await tab.EvaluateAsync<double>("() => document.documentElement.scrollWidth");
            Assert.True(scroll <= 391, $"{page}: the page is {scroll} px wide at 390 px: something runs off the screen");
            await Site.FullPageScreenshotAsync(tab, "390-" + page.Replace('/', '-').Replace(".html", ".png"));
            Assert.True(problems.Count == 0, $"{page} at 390 px:\n" + string.Join("\n", problems));
        }
        finally
        {
            await tab.Context.CloseAsync();
        }
    }

    [Fact]
    public async Task Every_page_is_reached_from_the_first_by_next_links()
    {
        var seen = new List<string>();
        var page = "index.html";
        while (page is not null && seen.Count <= Figures.Count)
        {
            seen.Add(page);
            var (tab, _) = await site.OpenAsync(page);
            try
            {
                var next = tab.Locator("nav.pager a.next");
                Assert.True(await tab.Locator("nav.pager a").CountAsync() > 0, $"{page} has no previous or next link");
                page = await next.CountAsync() == 1
                    ? new Uri(await next.EvaluateAsync<string>("a => a.href")).AbsolutePath.TrimStart('/')
                    : null;
            }
            finally
            {
                await tab.Context.CloseAsync();
            }
        }

        Assert.Equal(Figures.Keys.Order(), seen.Order());
    }

    [Fact]
    public void Code_lines_are_at_most_90_characters()
    {
        var tooLong = new List<string>();
        foreach (var file in Directory.GetFiles(Path.Combine(Site.Repository, "docs"), "*.fsx"))
        {
            var lines = File.ReadAllLines(file);
            // Shown code is what lies outside (** … *) text blocks, except the code after (*** hide ***).
            var inText = false;
            var hidden = false;
            for (var i = 0; i < lines.Length; i++)
            {
                var line = lines[i];
                if (line.StartsWith("(***", StringComparison.Ordinal))
                {
                    hidden = line.Contains("hide", StringComparison.Ordinal);
                    continue;
                }

                if (line.StartsWith("(**", StringComparison.Ordinal))
                {
                    inText = true;
                    hidden = false;
                }

                if (!inText && !hidden && line.Length > 90) tooLong.Add($"{Path.GetFileName(file)}:{i + 1} ({line.Length})");
                if (inText && line.TrimEnd().EndsWith("*)", StringComparison.Ordinal)) inText = false;
            }
        }

        Assert.True(tooLong.Count == 0, "code lines over 90 characters:\n" + string.Join("\n", tooLong));
    }

    [Fact]
    public void Results_are_shown_as_tables_not_as_printed_FSharp_values()
    {
        // fsdocs writes a cell's output (include-output, include-value, include-it) as <table class="pre">; a value
        // printed by F# Interactive there (a tuple, a list of tuples, a MathNet matrix, "val x: …") reads as F#
        // internals: such results belong in a small table (Course.Table) or a sentence.
        var printed = new List<string>();
        foreach (var file in Directory.GetFiles(Site.Folder, "*.html").Order())
        {
            var html = File.ReadAllText(file);
            foreach (System.Text.RegularExpressions.Match block in OutputBlock().Matches(html))
            {
                var text = System.Net.WebUtility.HtmlDecode(Tag().Replace(block.Groups[1].Value, ""));
                foreach (var line in text.Split('\n'))
                    if (FSharpValue().IsMatch(line))
                        printed.Add($"{Path.GetFileName(file)}: {line.Trim()[..Math.Min(line.Trim().Length, 100)]}");
            }
        }

        Assert.True(printed.Count == 0, "outputs printed as F# values:\n" + string.Join("\n", printed));
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"<table class=""pre""><tr><td><pre><code>(.*?)</code></pre>", System.Text.RegularExpressions.RegexOptions.Singleline)]
    private static partial System.Text.RegularExpressions.Regex OutputBlock();

    [System.Text.RegularExpressions.GeneratedRegex("<[^>]+>")]
    private static partial System.Text.RegularExpressions.Regex Tag();

    // A tuple of literals "(a, 1.5)" (not an argument list such as "betas=(0.9, 0.999)"), an F# list or array
    // "[1; 2]" / "[|…|]", a MathNet or Hybrid matrix printout, or F# Interactive's "val x: type = …".
    [System.Text.RegularExpressions.GeneratedRegex(
        @"(?<![=\w])\((""[^""]*""|[\w.+\-]+)(, (""[^""]*""|[\w.+\-]+))+\)|^\s*\[\|?.*;.*\|?\];?\s*$|^\s*\[\(|^\s*\(\(|Dense(Matrix|Vector) \d|^\s*val [\w']+\s*:|^\s*Tensor<")]
    private static partial System.Text.RegularExpressions.Regex FSharpValue();

    public sealed record Drawn(double Marks, double Width, double Height);
}
