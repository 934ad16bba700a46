using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Hybrid.Serve.Tests;

/// <summary>
/// The draw-a-digit page in headless Chromium (Debian's, as the docs tests use): digits traced from MNIST test images
/// are drawn on its canvas with the mouse, and the page must show the right digit, with no console error and no
/// request outside the server.
/// </summary>
[Collection("server")]
public class PageTests(ServerFixture server, ITestOutputHelper output)
{
    static string Chromium =>
        Environment.GetEnvironmentVariable("HYBRID_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium";

    async Task<(IBrowser Browser, IPage Page, List<string> Problems, IPlaywright Playwright)> Open(bool touch = false)
    {
        if (!File.Exists(Chromium))
            throw new InvalidOperationException($"Chromium is not at {Chromium}: install it (apt-get install -y chromium) or set HYBRID_CHROMIUM.");
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = Chromium, Headless = true, Args = ["--no-sandbox"] });
        var context = await browser.NewContextAsync(new() { ViewportSize = new() { Width = 1100, Height = 800 }, HasTouch = touch });
        var page = await context.NewPageAsync();
        var problems = new List<string>();
        page.Console += (_, message) =>
        {
            if (message.Type == "error") problems.Add($"console error: {message.Text}");
        };
        page.PageError += (_, error) => problems.Add($"script error: {error}");
        page.Response += async (_, response) =>
        {
            if (response.Status >= 400) problems.Add($"{response.Status} from {response.Url}: {await response.TextAsync()}");
        };
        var origin = server.Server.Address.GetLeftPart(UriPartial.Authority);
        await page.RouteAsync("**/*", async route =>
        {
            if (new Uri(route.Request.Url).GetLeftPart(UriPartial.Authority) == origin) await route.ContinueAsync();
            else
            {
                problems.Add($"request outside the server: {route.Request.Url}");
                await route.AbortAsync();
            }
        });
        var response = await page.GotoAsync(server.Server.Address.ToString());
        Assert.True(response is { Ok: true }, $"the page answered {response?.Status}");
        return (browser, page, problems, playwright);
    }

    /// <summary>Waits until the page has had an answer after <paramref name="before"/> predictions and none is pending.</summary>
    static async Task<int> Answer(IPage page, int before)
    {
        await page.WaitForFunctionAsync("n => Number(document.body.dataset.predictions) > n && document.body.dataset.busy === '0'", before,
            new() { Timeout = 20000 });
        return int.Parse(await page.EvaluateAsync<string>("document.body.dataset.digit"));
    }

    static async Task<int> Predictions(IPage page) => int.Parse(await page.EvaluateAsync<string>("document.body.dataset.predictions"));

    [Fact]
    public async Task Digits_traced_from_mnist_test_images_and_drawn_with_the_mouse_are_recognised()
    {
        var (browser, page, problems, playwright) = await Open();
        try
        {
            var box = (await page.Locator("#pad").BoundingBoxAsync())!;
            var test = server.Mnist.Test;
            var labels = test.Labels!;
            // The first test image of each digit.
            var chosen = Enumerable.Range(0, 10).Select(d => Enumerable.Range(0, test.Count).First(i => labels[i] == d)).ToArray();
            var right = 0;
            var lines = new List<string>();
            foreach (var index in chosen)
            {
                await page.ClickAsync("#clear");
                var before = await Predictions(page);
                foreach (var stroke in Skeleton.Strokes(test.Sample(index)))
                {
                    (float X, float Y) At((double X, double Y) p) => ((float)(box.X + p.X * box.Width / 28), (float)(box.Y + p.Y * box.Height / 28));
                    var first = At(stroke[0]);
                    await page.Mouse.MoveAsync(first.X, first.Y);
                    await page.Mouse.DownAsync();
                    foreach (var point in stroke.Skip(1))
                    {
                        var (x, y) = At(point);
                        await page.Mouse.MoveAsync(x, y, new() { Steps = 2 });
                    }

                    await page.Mouse.UpAsync();
                }

                var digit = await Answer(page, before);
                lines.Add($"test image {index} (a {labels[index]}): the page says {digit}");
                if (digit == labels[index]) right++;
                await page.Locator("main").ScreenshotAsync(new() { Path = Screenshot($"drawn-{labels[index]}.png") });
            }

            output.WriteLine(string.Join("\n", lines));
            output.WriteLine($"{right} of 10 drawn digits recognised");
            Assert.True(right >= 9, $"{right} of 10 drawn digits recognised:\n{string.Join("\n", lines)}");
            Assert.True(await page.Locator("#bars .bar.best").CountAsync() == 1, "the best digit's bar is marked");
            var seen = await page.EvaluateAsync<int>("() => { const c = document.getElementById('seen').getContext('2d').getImageData(0, 0, 28, 28).data; let n = 0; for (let i = 0; i < c.length; i += 4) if (c[i] > 128) n++; return n; }");
            Assert.True(seen > 20, $"the 28×28 picture shows {seen} bright pixels");
            var hidden = await page.EvaluateAsync<int>("() => { const h = document.getElementById('hidden'); return h.width * h.height; }");
            Assert.True(hidden >= 128, $"the hidden layer's picture has {hidden} cells for 128 units");
            Assert.True(problems.Count == 0, string.Join("\n", problems));
        }
        finally
        {
            await browser.DisposeAsync();
            playwright.Dispose();
        }
    }

    [Fact]
    public async Task A_pen_and_a_finger_draw_too_and_an_uploaded_photo_is_read()
    {
        var (browser, page, problems, playwright) = await Open();
        try
        {
            // A "1" drawn by a pen: pointer events with pointerType pen and pressure, as a stylus sends them.
            var before = await Predictions(page);
            await page.EvaluateAsync(
                """
                () => {
                  const pad = document.getElementById('pad'), box = pad.getBoundingClientRect();
                  const send = (type, y) => pad.dispatchEvent(new PointerEvent(type, { pointerId: 7, pointerType: 'pen', pressure: 0.7, isPrimary: true, bubbles: true,
                    clientX: box.left + 140, clientY: box.top + y }));
                  send('pointerdown', 40);
                  for (let y = 40; y <= 240; y += 10) send('pointermove', y);
                  send('pointerup', 240);
                }
                """);
            Assert.True(await Answer(page, before) == 1, "the pen's stroke is read as 1\n" + string.Join("\n", problems));

            // A finger: touch pointer events (a tap, then a short drag), dispatched as a browser sends them, ink the pad
            // as the mouse does; the tap alone is a zero-length line, which canvas would prune, so the page draws a disc.
            await page.ClickAsync("#clear");
            before = await Predictions(page);
            await page.EvaluateAsync(
                """
                () => {
                  const pad = document.getElementById('pad'), box = pad.getBoundingClientRect();
                  const send = (type, x) => pad.dispatchEvent(new PointerEvent(type, { pointerId: 9, pointerType: 'touch', pressure: 0.5, isPrimary: true, bubbles: true,
                    clientX: box.left + x, clientY: box.top + 100 }));
                  send('pointerdown', 90);
                  send('pointerup', 90);
                  send('pointerdown', 140);
                  send('pointermove', 150);
                  send('pointerup', 150);
                }
                """);
            var inked = await page.EvaluateAsync<int>("() => { const d = document.getElementById('pad').getContext('2d').getImageData(80, 80, 20, 40).data; let n = 0; for (let i = 0; i < d.length; i += 4) if (d[i] < 128) n++; return n; }");
            Assert.True(inked > 50, $"the finger's tap inked {inked} pixels");
            // The touch drawing's own answer comes first, so that the next one waited for is the upload's.
            await Answer(page, before);

            // An uploaded photo of a test digit (made as the photo tests make theirs).
            var index = Enumerable.Range(0, 100).First(i => server.Mnist.Test.Labels![i] == 4);
            var photo = Imaging.SyntheticPhoto.Of(Imaging.Image.FromSquare(server.Mnist.Test.Sample(index)), seed: 5);
            var path = Path.Combine(Path.GetTempPath(), $"hybrid-upload-{Guid.NewGuid():N}.jpg");
            Imaging.ImageFile.Save(photo, path);
            try
            {
                before = await Predictions(page);
                await page.SetInputFilesAsync("#upload", path);
                Assert.True(await Answer(page, before) == 4, "the uploaded photo is read as 4\n" + string.Join("\n", problems));
            }
            finally
            {
                File.Delete(path);
            }

            Assert.True(problems.Count == 0, string.Join("\n", problems));
        }
        finally
        {
            await browser.DisposeAsync();
            playwright.Dispose();
        }
    }

    static string Screenshot(string name)
    {
        var folder = Path.Combine(ServerFixture.Repository, "artifacts", "serve-screenshots");
        Directory.CreateDirectory(folder);
        return Path.Combine(folder, name);
    }
}
