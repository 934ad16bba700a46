using System.CommandLine;
using System.Globalization;
using Hybrid.Onnx;

namespace Hybrid.Cli;

/// <summary><c>hybrid export MODEL --onnx OUT</c>: a saved model as an ONNX file, for ONNX Runtime and the tools that read ONNX.</summary>
static class ExportCommand
{
    public static Command Create()
    {
        var model = new Argument<FileInfo>("model") { Description = "A model saved with --save (safetensors), or an ONNX file to rewrite in Hybrid's form." };
        var onnx = new Option<FileInfo>("--onnx") { Description = "The ONNX file to write (opset 17, written atomically).", Required = true };
        var activation = EvaluateCommand.ActivationOption();
        var command = new Command("export", "Export a saved model as ONNX: input 'input' [N, features], outputs 'output' and 'probabilities'.") { model, onnx, activation };
        command.SetAction(parse =>
        {
            var source = parse.GetValue(model)!.FullName;
            var target = parse.GetValue(onnx)!.FullName;
            if (Directory.Exists(target)) throw new ArgumentException($"--onnx {target} is a directory; give a file name.");
            var loaded = source.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase) ? Network.LoadOnnx(source) : EvaluateCommand.Load(source, false, parse.GetValue(activation));
            try
            {
                loaded.ExportOnnx(target);
            }
            catch (NotSupportedException e)
            {
                Console.Error.WriteLine($"hybrid: {e.Message}");
                return 1;
            }

            var outputs = loaded.Loss == Loss.SoftmaxCrossEntropy || loaded.Loss == Loss.BinaryCrossEntropyWithLogits
                ? $"'{OnnxFormat.OutputName}' and '{OnnxFormat.ProbabilitiesName}' [N, {loaded.Outputs}]"
                : $"'{OnnxFormat.OutputName}' [N, {loaded.Outputs}]";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"wrote {target} ({new FileInfo(target).Length:N0} bytes, ONNX opset {OnnxFormat.Opset}): input '{OnnxFormat.InputName}' float32 [N, {loaded.Inputs}] → {outputs}"));
            Console.WriteLine($"model: {string.Join(" → ", loaded.Layers)}");
            return 0;
        });
        return command;
    }
}
