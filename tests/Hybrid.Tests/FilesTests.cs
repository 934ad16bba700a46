using Hybrid.IO;

namespace Hybrid.Tests;

/// <summary>Destinations checked before long work; temporary files of killed saves cleaned up.</summary>
public class FilesTests
{
    [Fact]
    public void A_directory_as_destination_is_refused()
    {
        var e = Assert.Throws<IOException>(() => Files.CheckDestination(Path.GetTempPath(), 100, "--save"));
        Assert.Contains("is a directory", e.Message);
    }

    [Fact]
    public void A_destination_inside_a_file_is_refused()
    {
        var file = Fixtures.TempFile(".txt");
        File.WriteAllText(file, "x");
        var e = Assert.Throws<IOException>(() => Files.CheckDestination(Path.Combine(file, "model.safetensors"), 100, "--save"));
        Assert.Contains("is a file", e.Message);
        File.Delete(file);
    }

    [Fact]
    public void A_destination_that_cannot_be_written_is_refused()
    {
        if (!OperatingSystem.IsLinux()) return;
        // /proc refuses new files even to root, like a read-only mount.
        var e = Assert.Throws<IOException>(() => Files.CheckDestination("/proc/model.safetensors", 100, "--save"));
        Assert.Contains("cannot write in /proc", e.Message);
    }

    [Fact]
    public void A_destination_without_room_is_refused_naming_the_free_space()
    {
        var e = Assert.Throws<IOException>(() => Files.CheckDestination(Fixtures.TempFile(".safetensors"), long.MaxValue / 2, "--save"));
        Assert.Contains("free, but", e.Message);
    }

    [Fact]
    public void A_writable_destination_passes_and_leaves_nothing_behind()
    {
        var folder = Path.Combine(Path.GetTempPath(), $"hybrid-dest-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        Files.CheckDestination(Path.Combine(folder, "sub", "model.safetensors"), 1000, "--save");
        Assert.Empty(Directory.GetFileSystemEntries(folder));
        Directory.Delete(folder);
    }

    [Fact]
    public void Temporary_files_of_killed_saves_are_removed_by_the_next_save()
    {
        var folder = Path.Combine(Path.GetTempPath(), $"hybrid-stale-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, "model.safetensors");
        var stale = Path.Combine(folder, $".model.safetensors.{Guid.NewGuid():N}.tmp");
        var fresh = Path.Combine(folder, $".model.safetensors.{Guid.NewGuid():N}.tmp");
        var other = Path.Combine(folder, $".other.safetensors.{Guid.NewGuid():N}.tmp");
        foreach (var f in new[] { stale, fresh, other }) File.WriteAllText(f, "half a model");
        File.SetLastWriteTimeUtc(stale, DateTime.UtcNow.AddDays(-1));
        File.SetLastWriteTimeUtc(other, DateTime.UtcNow.AddDays(-1));
        Files.WriteAllTextAtomic(path, "model");
        Assert.False(File.Exists(stale));
        Assert.True(File.Exists(fresh)); // newer than this process: perhaps another process's save in progress
        Assert.True(File.Exists(other)); // another destination's
        Assert.Equal("model", File.ReadAllText(path));
        Directory.Delete(folder, recursive: true);
    }
}
