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

    static string Repository
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
    public async Task<(IPage Page, List<string> Problems)> OpenAsync(string page)
    {
        var context = await Browser.NewContextAsync(new() { ViewportSize = new() { Width = 1280, Height = 900 } });
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

    static string FindFolder() =>
        Environment.GetEnvironmentVariable("HYBRID_SITE") is { Length: > 0 } site ? Path.GetFullPath(site) : Path.Combine(Repository, "output");
}
