using System.CommandLine;
using Hybrid.Serve;

namespace Hybrid.Cli;

/// <summary><c>hybrid serve MODEL</c>: the draw-a-digit page and POST /api/predict, on localhost unless told otherwise, until Ctrl+C.</summary>
static class ServeCommand
{
    public static Command Create()
    {
        var model = new Argument<FileInfo>("model") { Description = "A digit model saved with --save (safetensors), taking 784 inputs." };
        var port = new Option<int>("--port") { Description = "The port to listen on (0: a free one).", DefaultValueFactory = _ => 5000 };
        var host = new Option<string>("--host") { Description = "The address to bind: localhost (this machine only), an IP address, or * (every interface).", DefaultValueFactory = _ => "localhost" };
        var maxBytes = new Option<long>("--max-request-bytes") { Description = "The largest request body accepted.", DefaultValueFactory = _ => 8L << 20 };
        var maxPixels = new Option<long>("--max-pixels") { Description = "The most pixels an uploaded picture may declare.", DefaultValueFactory = _ => 16_000_000 };
        var activation = EvaluateCommand.ActivationOption();
        var command = new Command("serve", "Serve a page to draw digits on, and POST /api/predict, over a saved model.") { model, port, host, maxBytes, maxPixels, activation };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var loaded = EvaluateCommand.Load(parse.GetValue(model)!.FullName, false, parse.GetValue(activation));
            var options = new ServeOptions
            {
                Port = parse.GetValue(port), Host = parse.GetValue(host)!, MaxRequestBytes = parse.GetValue(maxBytes), MaxPixels = parse.GetValue(maxPixels),
            };
            await using var server = await PredictionServer.StartAsync(loaded, options, cancellationToken);
            Console.WriteLine($"serving {loaded.Description}");
            Console.WriteLine($"open {server.Address} (POST {server.Address}api/predict); Ctrl+C stops");
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            catch (OperationCanceledException)
            {
            }

            await server.StopAsync();
            return 0;
        });
        return command;
    }
}
