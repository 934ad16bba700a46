using Microsoft.Playwright;

namespace Hybrid.Docs.Tests;

/// <summary>Every page of the site opens offline without errors and every figure it should show is drawn.</summary>
public class PageTests(Site site) : IClassFixture<Site>
{
    /// <summary>Each page and the figures it must show (the ids of its <c>figure data-figure</c> elements).</summary>
    public static readonly Dictionary<string, string[]> Figures = new()
    {
        ["index.html"] = [],
        ["getting-started.html"] = ["csharp-curves"],
        ["graph.html"] = ["expression-graph"],
        ["perceptron.html"] = ["perceptron-errors", "perceptron-boundaries", "xor-hidden-boundary"],
        ["logistic-regression.html"] = ["logistic-graph", "logistic-loss", "logistic-boundary"],
        ["hidden-layer.html"] = ["hidden-boundary", "hidden-space"],
        ["network-drawing.html"] = ["xor-network", "mnist-network"],
        ["activations.html"] = ["activation-functions", "activation-derivatives"],
        ["initialization.html"] = ["init-activations", "init-gradients"],
        ["optimization.html"] = ["batch-sizes", "optimizers", "schedules"],
        ["mnist.html"] = ["mnist-curves", "mnist-confusion", "mnist-misclassified"],
        ["providers.html"] = ["provider-times"],
        ["extending.html"] = ["swish"],
        ["your-own-pictures.html"] = ["own-pictures-before-after", "own-pictures-steps", "own-pictures-curves"],
        ["benchmarks.html"] = [],
        ["benchmarks-dotnet.html"] = [],
        ["benchmarks-layers.html"] = [],
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
                await figure.ScreenshotAsync(new() { Path = Path.Combine(Site.Screenshots, $"{name}.png") });
            }

            // Every figure on the page is one the test knows, so a new figure gets checked too.
            var present = await tab.Locator("figure[data-figure]").EvaluateAllAsync<string[]>("fs => fs.map(f => f.dataset.figure)");
            Assert.Equal(expected.Order(), present.Order());
            await tab.ScreenshotAsync(new() { Path = Path.Combine(Site.Screenshots, page.Replace('/', '-').Replace(".html", ".png")), FullPage = true });
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
    }

    public sealed record Drawn(double Marks, double Width, double Height);
}
