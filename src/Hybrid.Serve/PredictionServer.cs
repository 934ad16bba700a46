using System.Diagnostics;
using System.Net;
using System.Reflection;
using System.Text;
using System.Text.Json;
using Hybrid.Imaging;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Net.Http.Headers;

namespace Hybrid.Serve;

/// <summary>Where and how the server listens.</summary>
public sealed record ServeOptions
{
    /// <summary>The address to bind: "localhost" (the default: this machine only, 127.0.0.1), an IP address, or "*" for every interface.</summary>
    public string Host { get; init; } = "localhost";

    /// <summary>The port (0 picks a free one; <see cref="PredictionServer.Address"/> says which).</summary>
    public int Port { get; init; } = 5000;

    /// <summary>The largest request body, in bytes (default 8 MiB); a larger one gets 413.</summary>
    public long MaxRequestBytes { get; init; } = 8L << 20;

    /// <summary>The most pixels a picture may declare (default 16 million); a larger one gets 413 before it is decoded.</summary>
    public long MaxPixels { get; init; } = 16_000_000;
}

/// <summary>
/// Serves a digit model over HTTP (ASP.NET Core minimal API): <c>GET /</c> a page to draw a digit on (mouse, touch
/// or pen) with live probabilities, the 28 × 28 image the model sees and its hidden layer's activations, and an
/// upload button for a photo; <c>POST /api/predict</c> taking a picture (its bytes with an image content type, or a
/// multipart form with a file) or JSON of 784 numbers, answering JSON; <c>GET /api/model</c> the model's layers.
/// A bad request gets 400, 413 or 415 with <c>{"error": "…"}</c>, and the server goes on serving.
/// </summary>
public sealed class PredictionServer : IAsyncDisposable
{
    readonly WebApplication app;

    PredictionServer(WebApplication app, Uri address)
    {
        this.app = app;
        Address = address;
    }

    /// <summary>The address the server listens on, e.g. http://127.0.0.1:5000/.</summary>
    public Uri Address { get; }

    /// <summary>Starts serving <paramref name="model"/>; returns once the server listens.</summary>
    /// <exception cref="ArgumentException">The model does not take 784 inputs, or an option is out of range.</exception>
    /// <exception cref="IOException">The port is taken.</exception>
    public static async Task<PredictionServer> StartAsync(Model model, ServeOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new ServeOptions();
        if (options.Port is < 0 or > 65535) throw new ArgumentOutOfRangeException(nameof(options), options.Port, "serve: the port is 0–65535");
        if (options.MaxRequestBytes < 1024) throw new ArgumentOutOfRangeException(nameof(options), options.MaxRequestBytes, "serve: allow at least 1 KiB per request");
        var predictor = new Predictor(model, new ImageLimits(options.MaxPixels, options.MaxRequestBytes));
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            // Multipart framing adds a little to the picture; the body itself is checked against the limit as it is read.
            k.Limits.MaxRequestBodySize = options.MaxRequestBytes + 64 * 1024;
            k.AddServerHeader = false;
            var address = options.Host switch
            {
                "localhost" => IPAddress.Loopback,
                "*" => IPAddress.Any,
                var h => IPAddress.TryParse(h, out var ip) ? ip : throw new ArgumentException($"serve: --host '{h}' is not localhost, * or an IP address.", nameof(options)),
            };
            k.Listen(address, options.Port);
        });
        var app = builder.Build();
        var page = Page();
        app.MapGet("/", (HttpContext context) =>
        {
            context.Response.Headers.ContentSecurityPolicy = "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'";
            return Results.Bytes(page, "text/html; charset=utf-8");
        });
        app.MapGet("/api/model", () => Results.Text(ModelJson(predictor), "application/json"));
        // Cast to Delegate: a lambda of HttpContext alone would be taken for a RequestDelegate and its result dropped.
        app.MapPost("/api/predict", (Delegate)((HttpContext context) => Predict(context, predictor, options.MaxRequestBytes)));
        app.MapFallback((HttpContext context) => Error(404, $"{context.Request.Method} {context.Request.Path}: no such page; the page is /, the API is POST /api/predict."));
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException)
        {
            await app.DisposeAsync();
            throw new IOException($"serve: cannot listen on {options.Host}:{options.Port} ({e.Message}); is another server using the port? Try --port.", e);
        }

        var url = app.Urls.First();
        return new PredictionServer(app, new Uri(url.EndsWith('/') ? url : url + "/"));
    }

    /// <summary>Completes when the server stops (Ctrl+C, or <see cref="StopAsync"/>).</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken = default) => app.WaitForShutdownAsync(cancellationToken);

    /// <summary>Stops serving: requests in flight finish, new ones are refused.</summary>
    public Task StopAsync() => app.StopAsync();

    /// <inheritdoc/>
    public async ValueTask DisposeAsync() => await app.DisposeAsync();

    static async Task<IResult> Predict(HttpContext context, Predictor predictor, long maxBytes)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            var request = context.Request;
            if (request.ContentLength > maxBytes)
                throw new RequestException(413, $"the body has {request.ContentLength:N0} bytes; the limit is {maxBytes:N0}.");
            if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var type) || type.MediaType.Value is not { } media)
                throw new RequestException(415, $"no usable Content-Type ('{request.ContentType}'); {Accepted}");
            PredictionResult result;
            if (media.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase))
            {
                var form = await request.ReadFormAsync(new FormOptions { MultipartBodyLengthLimit = maxBytes, ValueCountLimit = 16 }, context.RequestAborted);
                var file = form.Files.FirstOrDefault() ?? throw new RequestException(400, "the form holds no file; send the picture as a file field.");
                if (file.Length > maxBytes) throw new RequestException(413, $"the file has {file.Length:N0} bytes; the limit is {maxBytes:N0}.");
                await using var stream = file.OpenReadStream();
                result = predictor.FromImage(await ReadAll(stream, maxBytes, context.RequestAborted));
            }
            else if (media.Equals("application/json", StringComparison.OrdinalIgnoreCase))
                result = predictor.FromJson(await ReadAll(request.Body, maxBytes, context.RequestAborted));
            else if (media.StartsWith("image/", StringComparison.OrdinalIgnoreCase) || media.Equals("application/octet-stream", StringComparison.OrdinalIgnoreCase))
                result = predictor.FromImage(await ReadAll(request.Body, maxBytes, context.RequestAborted));
            else
                throw new RequestException(415, $"Content-Type {media} is not accepted; {Accepted}");
            return Results.Text(ResultJson(result, clock.Elapsed.TotalMilliseconds), "application/json");
        }
        catch (RequestException e)
        {
            return Error(e.Status, e.Message);
        }
        catch (BadHttpRequestException e)
        {
            // Kestrel's own refusals: a body over its limit (413), a malformed form or a cut-short body (400).
            return Error(e.StatusCode, e.StatusCode == 413 ? $"the body is larger than the limit of {maxBytes:N0} bytes." : $"bad request: {e.Message}");
        }
        catch (InvalidDataException e)
        {
            // A malformed multipart body.
            return Error(400, $"bad request: {e.Message}");
        }
    }

    const string Accepted = "send a picture (image/png, image/jpeg, image/bmp, image/gif or application/octet-stream), " +
                            "multipart/form-data with a file, or application/json with 784 numbers in [0, 1].";

    static async Task<byte[]> ReadAll(Stream body, long maxBytes, CancellationToken cancellationToken)
    {
        var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int n;
        while ((n = await body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            buffer.Write(chunk, 0, n);
            if (buffer.Length > maxBytes) throw new RequestException(413, $"the body is larger than the limit of {maxBytes:N0} bytes.");
        }

        if (buffer.Length == 0) throw new RequestException(400, "the body is empty; send a picture or 784 numbers.");
        return buffer.ToArray();
    }

    // Messages hold ×, → and quotes: written as they are (the body is UTF-8 JSON, never embedded in HTML).
    static readonly JsonSerializerOptions Relaxed = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    static IResult Error(int status, string message)
    {
        var json = JsonSerializer.Serialize(new Dictionary<string, string> { ["error"] = message }, Relaxed);
        return Results.Text(json, "application/json", Encoding.UTF8, status);
    }

    static string ResultJson(PredictionResult r, double milliseconds)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = Relaxed.Encoder }))
        {
            w.WriteStartObject();
            w.WriteNumber("digit", r.Digit);
            w.WriteNumber("probability", Math.Round(r.Probabilities[r.Digit], 6));
            w.WriteStartArray("probabilities");
            foreach (var p in r.Probabilities) w.WriteNumberValue(Math.Round(p, 6));
            w.WriteEndArray();
            w.WriteStartArray("top");
            foreach (var k in Enumerable.Range(0, r.Probabilities.Count).OrderByDescending(k => r.Probabilities[k]).Take(3))
            {
                w.WriteStartObject();
                w.WriteNumber("digit", k);
                w.WriteNumber("probability", Math.Round(r.Probabilities[k], 6));
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteStartArray("input");
            foreach (var v in r.Input) w.WriteNumberValue(Math.Round(v, 3));
            w.WriteEndArray();
            if (r.Hidden is { } hidden)
            {
                w.WriteStartObject("hidden");
                w.WriteString("layer", r.HiddenLayer);
                w.WriteStartArray("values");
                foreach (var v in hidden) w.WriteNumberValue(Math.Round(v, 4));
                w.WriteEndArray();
                w.WriteEndObject();
            }

            w.WriteNumber("milliseconds", Math.Round(milliseconds, 3));
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    static string ModelJson(Predictor predictor)
    {
        var model = predictor.Model;
        return JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["summary"] = model.Description,
            ["layers"] = model.Layers,
            ["inputs"] = model.Inputs,
            ["outputs"] = model.Outputs,
            ["max_pixels"] = predictor.Limits.MaxPixels,
            ["max_bytes"] = predictor.Limits.MaxBytes,
        }, Relaxed);
    }

    static byte[] Page()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("Hybrid.Serve.index.html")
                           ?? throw new InvalidOperationException("serve: the page (index.html) is not embedded in Hybrid.Serve.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
