using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Hybrid.Imaging;
using Xunit.Abstractions;

namespace Hybrid.Serve.Tests;

/// <summary>POST /api/predict: good requests of every kind, hostile ones answered 4xx with a message, and a bounded load test.</summary>
[Collection("server")]
public class ApiTests(ServerFixture server, ITestOutputHelper output)
{
    /// <summary>MNIST test digit <paramref name="index"/> as a drawing: dark on white, 4× larger, as PNG.</summary>
    byte[] DrawingPng(int index) =>
        ImageFile.EncodePng(ImageOps.Invert(ImageOps.ResizeBilinear(Image.FromSquare(server.Mnist.Test.Sample(index)), 112, 112)));

    static ByteArrayContent Body(byte[] bytes, string? type)
    {
        var content = new ByteArrayContent(bytes);
        if (type is not null) content.Headers.ContentType = MediaTypeHeaderValue.Parse(type);
        return content;
    }

    static byte[] PngHeader(uint width, uint height)
    {
        var png = new byte[33];
        new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }.CopyTo(png, 0);
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(8), 13);
        "IHDR"u8.CopyTo(png.AsSpan(12));
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(16), width);
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(20), height);
        png[24] = 8;
        png[25] = 2;
        return png;
    }

    static string Numbers(int count, string value = "0") => "[" + string.Join(",", Enumerable.Repeat(value, count)) + "]";

    [Fact]
    public async Task A_picture_a_multipart_upload_and_784_numbers_are_each_answered_with_the_digit()
    {
        var test = server.Mnist.Test;
        var index = Enumerable.Range(0, 100).First(i => test.Labels![i] == 3);
        var png = await server.Client.PostAsync("api/predict", Body(DrawingPng(index), "image/png"));
        Assert.Equal(HttpStatusCode.OK, png.StatusCode);
        using var answer = JsonDocument.Parse(await png.Content.ReadAsStringAsync());
        Assert.Equal(3, answer.RootElement.GetProperty("digit").GetInt32());
        Assert.Equal(10, answer.RootElement.GetProperty("probabilities").GetArrayLength());
        Assert.Equal(784, answer.RootElement.GetProperty("input").GetArrayLength());
        Assert.Equal(128, answer.RootElement.GetProperty("hidden").GetProperty("values").GetArrayLength());
        var sum = answer.RootElement.GetProperty("probabilities").EnumerateArray().Sum(p => p.GetDouble());
        Assert.InRange(sum, 0.999, 1.001);

        using var form = new MultipartFormDataContent { { Body(ImageFile.EncodeJpeg(SyntheticPhoto.Of(Image.FromSquare(test.Sample(index)), 9)), "image/jpeg"), "picture", "photo.jpg" } };
        var multipart = await server.Client.PostAsync("api/predict", form);
        Assert.Equal(HttpStatusCode.OK, multipart.StatusCode);
        Assert.Equal(3, JsonDocument.Parse(await multipart.Content.ReadAsStringAsync()).RootElement.GetProperty("digit").GetInt32());

        var pixels = "{\"pixels\":[" + string.Join(",", test.Sample(index).ToArray().Select(v => v.ToString(CultureInfo.InvariantCulture))) + "]}";
        var json = await server.Client.PostAsync("api/predict", Body(Encoding.UTF8.GetBytes(pixels), "application/json"));
        Assert.Equal(HttpStatusCode.OK, json.StatusCode);
        var direct = server.Model.Predict(MathNet.Numerics.LinearAlgebra.Matrix<float>.Build.DenseOfRowMajor(1, 784, test.Sample(index).ToArray())).Classes[0];
        Assert.Equal(direct, JsonDocument.Parse(await json.Content.ReadAsStringAsync()).RootElement.GetProperty("digit").GetInt32());
    }

    public static TheoryData<string> Hostile() => new(HostileRequests.Keys);

    static readonly Dictionary<string, (Func<ApiTests, HttpContent?> Body, int Status, string Says)> HostileRequests = new()
    {
        ["text/plain"] = (_ => Body("hello"u8.ToArray(), "text/plain"), 415, "not accepted"),
        ["no content type"] = (_ => Body(new byte[10], null), 415, "Content-Type"),
        ["20 MB image/png"] = (_ => Body(new byte[20_000_000], "image/png"), 413, "limit"),
        ["1×1 PNG header only"] = (_ => Body(PngHeader(1, 1), "image/png"), 400, "PNG"),
        ["40,000×40,000 PNG header"] = (_ => Body(PngHeader(40_000, 40_000), "image/png"), 413, "40,000×40,000"),
        ["0×0 PNG header"] = (_ => Body(PngHeader(0, 0), "image/png"), 400, "0×0"),
        ["JSON with 783 numbers"] = (_ => Body(Encoding.UTF8.GetBytes(Numbers(783)), "application/json"), 400, "found 783"),
        ["JSON with NaN"] = (_ => Body(Encoding.UTF8.GetBytes(Numbers(783).TrimEnd(']') + ",NaN]"), "application/json"), 400, "not valid JSON"),
        ["JSON with \"NaN\""] = (_ => Body(Encoding.UTF8.GetBytes(Numbers(783).TrimEnd(']') + ",\"NaN\"]"), "application/json"), 400, "pixel 783 is string"),
        ["JSON with 1e999"] = (_ => Body(Encoding.UTF8.GetBytes(Numbers(783).TrimEnd(']') + ",1e999]"), "application/json"), 400, "pixel 783"),
        ["JSON with 2.5"] = (_ => Body(Encoding.UTF8.GetBytes(Numbers(784, "2.5")), "application/json"), 400, "[0, 1]"),
        ["JSON with nulls"] = (_ => Body(Encoding.UTF8.GetBytes(Numbers(784, "null")), "application/json"), 400, "not a number"),
        ["JSON object without pixels"] = (_ => Body("{\"image\":[]}"u8.ToArray(), "application/json"), 400, "no \"pixels\""),
        ["JSON nested deep"] = (_ => Body(Encoding.UTF8.GetBytes(new string('[', 100) + new string(']', 100)), "application/json"), 400, "not valid JSON"),
        ["empty image/png"] = (_ => Body([], "image/png"), 400, "empty"),
        ["random bytes as image/jpeg"] = (_ => Body(Enumerable.Range(0, 5000).Select(i => (byte)(i * 7919 % 251)).ToArray(), "image/jpeg"), 400, "not an image"),
        ["a JPEG cut in half"] = (t => Body(ImageFile.EncodeJpeg(SyntheticPhoto.Of(Image.FromSquare(t.DigitSample()), 1))[..1500], "image/jpeg"), 400, "truncated"),
        ["a blank white page"] = (_ => Body(ImageFile.EncodePng(Image.Grey(200, 150, 1f)), "image/png"), 400, "no ink"),
        ["multipart without a file"] = (_ => new MultipartFormDataContent { { new StringContent("hello"), "note" } }, 400, "no file"),
        ["multipart with a text file"] = (_ => new MultipartFormDataContent { { Body("hello"u8.ToArray(), "text/plain"), "picture", "a.png" } }, 400, "not an image"),
        ["multipart without its boundary"] = (_ => Body("--x\r\n\r\n"u8.ToArray(), "multipart/form-data"), 400, "bad request"),
    };

    float[] DigitSample() => server.Mnist.Test.Sample(0).ToArray();

    [Theory]
    [MemberData(nameof(Hostile))]
    public async Task A_hostile_request_gets_a_4xx_with_a_message_and_the_server_goes_on(string what)
    {
        var (body, status, says) = HostileRequests[what];
        using var content = body(this);
        // As curl and browsers do for large bodies: the server can refuse before the body is sent.
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/predict") { Content = content };
        request.Headers.ExpectContinue = true;
        var response = await server.Client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == status, $"{what}: {(int)response.StatusCode} {text}");
        var message = JsonDocument.Parse(text).RootElement.GetProperty("error").GetString()!;
        Assert.Contains(says, message);
        output.WriteLine($"{what}: {(int)response.StatusCode} {message}");

        var good = await server.Client.PostAsync("api/predict", Body(DrawingPng(0), "image/png"));
        Assert.Equal(HttpStatusCode.OK, good.StatusCode);
    }

    [Fact]
    public async Task The_page_and_the_model_description_are_served_and_an_unknown_path_is_named()
    {
        var page = await server.Client.GetAsync("");
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains("<canvas id=\"pad\"", html);
        Assert.DoesNotContain("http://", html.Replace("http://www.w3.org", ""));
        Assert.DoesNotContain("https://", html);
        var model = JsonDocument.Parse(await server.Client.GetStringAsync("api/model")).RootElement;
        Assert.Equal(784, model.GetProperty("inputs").GetInt32());
        var missing = await server.Client.GetAsync("nothing/here");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Contains("no such page", await missing.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Load_test_2000_requests_from_8_clients_all_answered()
    {
        // Bounded: 2,000 requests in all from 8 concurrent clients on localhost, each a PNG drawing; it stops by itself.
        const int requests = 2000, clients = 8;
        var bodies = Enumerable.Range(0, 50).Select(DrawingPng).ToArray();
        var latencies = new double[requests];
        var errors = 0;
        var next = -1;
        var wall = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async _ =>
        {
            using var client = new HttpClient { BaseAddress = server.Server.Address, Timeout = TimeSpan.FromSeconds(30) };
            int i;
            while ((i = Interlocked.Increment(ref next)) < requests)
            {
                var clock = Stopwatch.StartNew();
                try
                {
                    using var response = await client.PostAsync("api/predict", Body(bodies[i % bodies.Length], "image/png"));
                    await response.Content.ReadAsByteArrayAsync();
                    if (!response.IsSuccessStatusCode) Interlocked.Increment(ref errors);
                }
                catch (HttpRequestException)
                {
                    Interlocked.Increment(ref errors);
                }

                latencies[i] = clock.Elapsed.TotalMilliseconds;
            }
        }));
        wall.Stop();
        Array.Sort(latencies);
        var line = string.Create(CultureInfo.InvariantCulture,
            $"load test: {requests} requests, {clients} clients, {errors} errors; median {latencies[requests / 2]:F1} ms, " +
            $"p99 {latencies[(int)(requests * 0.99)]:F1} ms, max {latencies[^1]:F1} ms; {requests / wall.Elapsed.TotalSeconds:F0} requests/s on {Environment.ProcessorCount} cores");
        output.WriteLine(line);
        var artifacts = Path.Combine(ServerFixture.Repository, "artifacts");
        Directory.CreateDirectory(artifacts);
        await File.WriteAllTextAsync(Path.Combine(artifacts, "serve-load.txt"), line + "\n");
        Assert.Equal(0, errors);
    }
}
