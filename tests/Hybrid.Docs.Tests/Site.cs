using Microsoft.Playwright;

namespace Hybrid.Docs.Tests;

/// <summary>
/// The built site (output/ of build/docs.sh, or $HYBRID_SITE) served to headless Chromium from a host name that
/// exists only inside the browser: every request for http://hybrid.docs/… is answered from the folder, and any
/// other request (a CDN, a web font) is refused and reported, so a page that needs the network fails.
/// </summary>
public sealed class Site : IAsyncLifetime
{
    public const string Origin = "http://hybrid.docs";

    public static string Folder { get; } = FindFolder();

    public static string Screenshots { get; } = Path.Combine(Repository, "artifacts", "docs-screenshots");

    public static string Repository
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Hybrid.sln"))) dir = dir.Parent;
            return dir?.FullName ?? throw new InvalidOperationException("cannot find the repository (Hybrid.sln) above the test's folder.");
        }
    }

    IPlaywright? playwright;

    public IBrowser Browser { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        if (!File.Exists(Path.Combine(Folder, "index.html")))
            throw new InvalidOperationException($"the site is not built: {Folder}/index.html is missing. Run ./build/docs.sh first.");
        var chromium = Environment.GetEnvironmentVariable("HYBRID_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium";
        if (!File.Exists(chromium))
            throw new InvalidOperationException($"Chromium is not at {chromium}: install it (apt-get install -y chromium) or set HYBRID_CHROMIUM.");
        playwright = await Playwright.CreateAsync();
        Browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = chromium, Headless = true, Args = ["--no-sandbox"] });
        Directory.CreateDirectory(Screenshots);
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        playwright?.Dispose();
    }

    /// <summary>Opens a page of the site; problems (console errors, script errors, refused or missing requests) are collected.</summary>
    public async Task<(IPage Page, List<string> Problems)> OpenAsync(string page, int width = 1280, int height = 900)
    {
        var context = await Browser.NewContextAsync(new() { ViewportSize = new() { Width = width, Height = height } });
        var tab = await context.NewPageAsync();
        var problems = new List<string>();
        tab.Console += (_, message) =>
        {
            if (message.Type == "error") problems.Add($"console error: {message.Text}");
        };
        tab.PageError += (_, error) => problems.Add($"script error: {error}");
        await tab.RouteAsync("**/*", async route =>
        {
            var url = new Uri(route.Request.Url);
            if (url.GetLeftPart(UriPartial.Authority) != Origin)
            {
                problems.Add($"request outside the site: {route.Request.Url}");
                await route.AbortAsync();
                return;
            }

            var file = Path.GetFullPath(Path.Combine(Folder, Uri.UnescapeDataString(url.AbsolutePath).TrimStart('/')));
            if (Directory.Exists(file)) file = Path.Combine(file, "index.html");
            if (!file.StartsWith(Path.GetFullPath(Folder), StringComparison.Ordinal) || !File.Exists(file))
            {
                problems.Add($"missing file: {url.AbsolutePath}");
                await route.FulfillAsync(new() { Status = 404, Body = "not found" });
                return;
            }

            await route.FulfillAsync(new() { Path = file });
        });
        var response = await tab.GotoAsync($"{Origin}/{page}", new() { WaitUntil = WaitUntilState.Load });
        if (response is null || !response.Ok) problems.Add($"{page}: HTTP {response?.Status}");
        return (tab, problems);
    }

    /// <summary>
    /// A screenshot of the whole page: the content scrolls inside its panel, not the window, so the window is made
    /// as tall as the content first (at most 16,000 px, Chromium's limit for one capture).
    /// </summary>
    public static async Task FullPageScreenshotAsync(IPage tab, string file)
    {
        var size = tab.ViewportSize!;
        var tall = await tab.EvaluateAsync<int>(
            "() => Math.ceil(Math.max(...[...document.querySelectorAll('main, aside, body')].map(e => e.scrollHeight)) + 80)");
        await tab.SetViewportSizeAsync(size.Width, Math.Clamp(tall, size.Height, 16000));
        await tab.ScreenshotAsync(new() { Path = Path.Combine(Screenshots, file), FullPage = true });
        await tab.SetViewportSizeAsync(size.Width, size.Height);
    }

    /// <summary>No figure is wider than the content column (a wide drawing scrolls inside its own frame).</summary>
    public static async Task AssertFiguresFitAsync(IPage tab, string page)
    {
        var overflowing = await tab.EvaluateAsync<string[]>(
            """
            () => {
              const column = document.getElementById('content').getBoundingClientRect();
              return [...document.querySelectorAll('figure, .katex-display, table, pre')]
                .map(f => [f, f.getBoundingClientRect()])
                .filter(([f, r]) => r.width > 0 && (r.left < column.left - 1 || r.right > column.right + 1))
                .map(([f, r]) => `${f.tagName.toLowerCase()}${f.id ? '#' + f.id : ''}: ${Math.round(r.left)}..${Math.round(r.right)} px in a column ${Math.round(column.left)}..${Math.round(column.right)}`);
            }
            """);
        Assert.True(overflowing.Length == 0, $"{page}: wider than the column:\n" + string.Join("\n", overflowing));
    }

    /// <summary>Every equation was typeset by KaTeX: no span.math without KaTeX inside, no LaTeX left in the text.</summary>
    public static async Task AssertNoRawMathAsync(IPage tab, string page)
    {
        var raw = await tab.EvaluateAsync<string[]>(
            """
            () => {
              const content = document.getElementById('content').cloneNode(true);
              const untypeset = [...content.querySelectorAll('span.math')].filter(s => !s.querySelector('.katex')).map(s => s.textContent.slice(0, 60));
              content.querySelectorAll('pre, code, script, style, .katex, .fsdocs-tip').forEach(e => e.remove());
              const text = content.textContent;
              const left = ['$', '\\frac', '\\(', '\\[', '\\mathbb', '\\sum'].filter(t => text.includes(t))
                .map(t => { const i = text.indexOf(t); return `'${t}' in "…${text.slice(Math.max(0, i - 30), i + 30)}…"`; });
              return untypeset.map(u => 'not typeset: ' + u).concat(left);
            }
            """);
        Assert.True(raw.Length == 0, $"{page}: raw LaTeX left:\n" + string.Join("\n", raw));
    }

    /// <summary>
    /// The axes of a figure's chart as Vega drew them (none for a drawing that is not a chart: a graph, a network,
    /// pictures): per axis its description ("X-axis titled …"), its title and its tick labels. Vega draws an axis's
    /// grid lines as an axis of their own, without a description: those are left out.
    /// </summary>
    public const string ChartAxesScript =
        """
        f => [...f.querySelectorAll('.hybrid-chart svg g.role-axis')].filter(a => a.getAttribute('aria-label')).map(a => [
          a.getAttribute('aria-label') || '',
          [...a.querySelectorAll('g.role-axis-title text')].map(t => t.textContent).join(' ').trim(),
          ...[...a.querySelectorAll('g.role-axis-label text')].map(t => t.textContent.trim())])
        """;

    /// <summary>
    /// The legends of a figure's chart: per legend the colours of its symbols (fill or stroke), then its labels.
    /// </summary>
    public const string ChartLegendsScript =
        """
        f => [...f.querySelectorAll('.hybrid-chart svg g.role-legend')].map(l => [
          [...l.querySelectorAll('g.role-legend-symbol path')].map(p => p.getAttribute('fill') !== 'transparent' && p.getAttribute('fill') || p.getAttribute('stroke') || '').join(' '),
          ...[...l.querySelectorAll('g.role-legend-label text')].map(t => t.textContent.trim())])
        """;

    /// <summary>
    /// What is wrong with a chart's legends (from <see cref="ChartLegendsScript"/>): a legend whose symbols are all
    /// black (a shape legend left apart from the colour legend it should have merged with).
    /// </summary>
    public static List<string> LegendProblems(string[][] legends)
    {
        var problems = new List<string>();
        foreach (var legend in legends)
        {
            var labels = string.Join(", ", legend[1..]);
            var colours = legend[0].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (colours.Length > 0 && colours.All(c => c is "#000" or "#000000" or "black" or "rgb(0, 0, 0)"))
                problems.Add($"a legend drawn all in black: {labels}");
        }

        return problems;
    }

    // Axes that count things (their title starts with one of these): their ticks must be whole numbers (no "0.5
    // mistakes", no "epoch 2.5").
    static readonly string[] Counts = ["epoch", "step", "batch", "mistakes", "layer", "iteration", "count"];

    /// <summary>What is wrong with a chart's axes (from <see cref="ChartAxesScript"/>); empty when nothing is.</summary>
    public static List<string> AxisProblems(string[][] axes)
    {
        var problems = new List<string>();
        if (axes.Length == 0) return problems;
        int xs = axes.Count(a => a[0].StartsWith("X-axis", StringComparison.Ordinal)), ys = axes.Count(a => a[0].StartsWith("Y-axis", StringComparison.Ordinal));
        if (xs == 0 || xs != ys) problems.Add($"{xs} x axes and {ys} y axes: every view needs both");
        foreach (var axis in axes)
        {
            // A log axis leaves its minor ticks unlabelled: only the written labels count.
            var (description, title, ticks) = (axis[0], axis[1], axis[2..].Where(t => t.Length > 0).ToArray());
            if (title.Length == 0) problems.Add($"an axis without a title ({description})");
            for (var i = 1; i < ticks.Length; i++)
                if (ticks[i] == ticks[i - 1])
                    problems.Add($"axis '{title}' repeats the tick '{ticks[i]}': {string.Join(", ", ticks)}");
            var counting = Counts.Any(c => title.StartsWith(c, StringComparison.OrdinalIgnoreCase));
            if (counting && ticks.Any(t => !long.TryParse(t.Replace(",", "").Replace("\u2212", "-"), out _)))
                problems.Add($"axis '{title}' counts, but is ticked between whole numbers: {string.Join(", ", ticks)}");
        }

        return problems;
    }

    static string FindFolder() =>
        Environment.GetEnvironmentVariable("HYBRID_SITE") is { Length: > 0 } site ? Path.GetFullPath(site) : Path.Combine(Repository, "output");
}
