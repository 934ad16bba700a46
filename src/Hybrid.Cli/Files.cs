namespace Hybrid.Cli;

/// <summary>File writes that never leave a half-written file behind.</summary>
static class Files
{
    /// <summary>Writes to a temporary file beside <paramref name="path"/>, then renames it into place.</summary>
    public static void WriteAllTextAtomic(string path, string text)
    {
        var full = Path.GetFullPath(path);
        var temporary = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            File.WriteAllText(temporary, text);
            File.Move(temporary, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
    }
}
