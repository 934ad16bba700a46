using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Hybrid.Core;

namespace Hybrid.IO;

/// <summary>A tensor as stored in a safetensors file: its shape (row-major) and float32 values.</summary>
/// <param name="Shape">The dimensions, outermost first.</param>
/// <param name="Data">The values in row-major (C) order.</param>
public sealed record StoredTensor(int[] Shape, float[] Data);

/// <summary>
/// The safetensors format (an 8-byte little-endian header length, a JSON header naming each tensor's dtype,
/// shape and byte range plus string metadata, then the raw little-endian data), as written by PyTorch's
/// <c>safetensors</c> package. Writes are atomic: a temporary file renamed into place.
/// </summary>
public static class SafeTensors
{
    /// <summary>Writes float32 tensors and string metadata to <paramref name="path"/>, atomically.</summary>
    public static void Write(string path, IReadOnlyList<KeyValuePair<string, StoredTensor>> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        var header = new MemoryStream();
        using (var json = new Utf8JsonWriter(header))
        {
            json.WriteStartObject();
            json.WriteStartObject("__metadata__");
            foreach (var (key, value) in metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal)) json.WriteString(key, value);
            json.WriteEndObject();
            long offset = 0;
            foreach (var (name, tensor) in tensors)
            {
                var bytes = (long)tensor.Data.Length * sizeof(float);
                if (tensor.Shape.Aggregate(1L, (a, d) => a * d) != tensor.Data.Length)
                    throw new ArgumentException($"safetensors: tensor {name} has {tensor.Data.Length} values but shape [{string.Join(", ", tensor.Shape)}].");
                json.WriteStartObject(name);
                json.WriteString("dtype", "F32");
                json.WriteStartArray("shape");
                foreach (var d in tensor.Shape) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + bytes);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += bytes;
            }

            json.WriteEndObject();
        }

        // The header is padded with spaces so that the data starts 8-byte aligned, as the reference writer does.
        var headerBytes = header.ToArray();
        var padded = (headerBytes.Length + 7) / 8 * 8;
        Files.WriteAtomic(path, stream =>
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)padded);
            stream.Write(length);
            stream.Write(headerBytes);
            for (var i = headerBytes.Length; i < padded; i++) stream.WriteByte((byte)' ');
            foreach (var (_, tensor) in tensors)
            {
                var bytes = new byte[tensor.Data.Length * sizeof(float)];
                for (var i = 0; i < tensor.Data.Length; i++)
                    BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), tensor.Data[i]);
                stream.Write(bytes);
            }
        });
    }

    /// <summary>The largest JSON header read, in bytes (the reference implementation's limit).</summary>
    public const int MaxHeaderBytes = 100_000_000;

    /// <summary>The most tensors one file may list.</summary>
    public const int MaxTensors = 100_000;

    /// <summary>The most dimensions one tensor may have.</summary>
    public const int MaxRank = 32;

    // The header's nesting: the root object, a tensor's object, its shape array; a little room beyond.
    const int MaxDepth = 8;

    static readonly string[] OtherDtypes =
        ["BOOL", "U8", "I8", "F8_E5M2", "F8_E4M3", "I16", "U16", "F16", "BF16", "I32", "U32", "I64", "U64", "C64"];

    /// <summary>
    /// Reads every tensor (F32, or F64 converted to float32) and the metadata of a safetensors file, after checking
    /// the whole header against the file before anything is allocated for the data: the header length within the
    /// file (and at most <see cref="MaxHeaderBytes"/>); the header valid UTF-8 JSON, nested at most 8 deep, an object
    /// whose entries are each listed once; <c>__metadata__</c> an object of strings; each tensor an object of exactly
    /// <c>dtype</c>, <c>shape</c> (at most <see cref="MaxRank"/> integers in [0, 2³¹ − 1]) and <c>data_offsets</c>
    /// (two integers, begin ≤ end, whose difference is the shape's element count times the dtype's size, in checked
    /// arithmetic); and the tensors' byte ranges contiguous from 0 to the end of the file: no overlap, no gap, no
    /// trailing bytes. Values are returned as stored, NaN and infinities included (<see cref="Network.Load"/> refuses
    /// those unless asked).
    /// </summary>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">
    /// The file is not a valid safetensors file, or the path is a directory, FIFO, socket or device rather than a
    /// regular file; the message names the file, the field (e.g. <c>tensor '0.weight' shape</c>) and the fault.
    /// </exception>
    public static (IReadOnlyDictionary<string, StoredTensor> Tensors, IReadOnlyDictionary<string, string> Metadata) Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var file = InputFile.openRegular(path);
        var length = file.Length;
        InvalidDataException Bad(string field, string what) => InputFile.fault(path, field, $"not a valid safetensors file: {what}");

        if (length < 8) throw Bad("header length", $"{length} bytes, too short for the 8-byte header length");
        Span<byte> prefix = stackalloc byte[8];
        file.ReadExactly(prefix);
        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (headerLength > (ulong)(length - 8))
            throw Bad("header length", $"the header claims {headerLength:N0} bytes but the file has {length - 8:N0} after the length (truncated?)");
        if (headerLength > MaxHeaderBytes)
            throw Bad("header length", $"the header claims {headerLength:N0} bytes, more than the {MaxHeaderBytes:N0} a header may have");
        if (headerLength < 2) throw Bad("header length", $"{headerLength} bytes, too short for a JSON object");

        var header = new byte[(int)headerLength];
        file.ReadExactly(header);
        if (InvalidUtf8At(header) is { } at) throw Bad("header", $"the JSON header is not valid UTF-8 (byte {at:N0} of the header)");
        var dataStart = 8 + (long)headerLength;
        var dataLength = length - dataStart;

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(header, new JsonDocumentOptions { MaxDepth = MaxDepth });
        }
        catch (JsonException e)
        {
            throw Bad("header", $"the JSON header does not parse ({e.Message})");
        }

        var entries = new List<(string Name, bool Double, int[] Shape, long Begin, long End)>();
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw Bad("header", $"the JSON header is {Article(root.ValueKind)}, not an object");
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var entry in root.EnumerateObject())
            {
                if (!names.Add(entry.Name)) throw Bad($"entry '{Shown(entry.Name)}'", "it is listed twice");
                if (names.Count > MaxTensors + 1) throw Bad("header", $"more than {MaxTensors:N0} tensors");
                if (entry.Name == "__metadata__")
                {
                    if (entry.Value.ValueKind != JsonValueKind.Object)
                        throw Bad("__metadata__", $"it is {Article(entry.Value.ValueKind)}, not an object of strings");
                    foreach (var m in entry.Value.EnumerateObject())
                    {
                        if (m.Value.ValueKind != JsonValueKind.String)
                            throw Bad($"__metadata__ '{Shown(m.Name)}'", $"it is {Article(m.Value.ValueKind)}, not a string");
                        if (!metadata.TryAdd(m.Name, m.Value.GetString()!))
                            throw Bad($"__metadata__ '{Shown(m.Name)}'", "it is listed twice");
                    }

                    continue;
                }

                entries.Add(Describe(entry, dataLength, Bad));
            }
        }

        // The byte ranges must tile the data exactly: sorted by begin, each starts where the previous ended.
        long end = 0;
        foreach (var t in entries.OrderBy(t => t.Begin).ThenBy(t => t.End))
        {
            if (t.Begin < end)
                throw Bad($"tensor '{Shown(t.Name)}' data_offsets", $"[{t.Begin}, {t.End}] overlaps the tensor before it, which ends at {end}");
            if (t.Begin > end)
                throw Bad($"tensor '{Shown(t.Name)}' data_offsets", $"[{t.Begin}, {t.End}] leaves a gap of {t.Begin - end} bytes after byte {end}");
            end = t.End;
        }

        if (end != dataLength)
            throw Bad("data", $"the tensors cover {end:N0} data bytes but the file has {dataLength:N0} after the header ({dataLength - end:N0} trailing bytes)");

        // Everything is checked: every allocation below is bounded by the file's own length.
        var tensors = new Dictionary<string, StoredTensor>(StringComparer.Ordinal);
        foreach (var t in entries)
        {
            var count = (int)((t.End - t.Begin) / (t.Double ? 8 : 4));
            var data = new float[count];
            file.Position = dataStart + t.Begin;
            if (t.Double) ReadDoubles(file, data);
            else ReadSingles(file, data);
            tensors[t.Name] = new StoredTensor(t.Shape, data);
        }

        return (tensors, metadata);
    }

    /// <summary>One tensor's entry, checked: its dtype, shape and byte range, which must lie in the data.</summary>
    static (string Name, bool Double, int[] Shape, long Begin, long End) Describe(
        JsonProperty entry, long dataLength, Func<string, string, InvalidDataException> bad)
    {
        var name = Shown(entry.Name);
        var field = $"tensor '{name}'";
        if (entry.Value.ValueKind != JsonValueKind.Object)
            throw bad(field, $"it is {Article(entry.Value.ValueKind)}, not an object with dtype, shape and data_offsets");
        JsonElement? dtype = null, shape = null, offsets = null;
        foreach (var p in entry.Value.EnumerateObject())
        {
            switch (p.Name)
            {
                case "dtype" when dtype is null: dtype = p.Value; break;
                case "shape" when shape is null: shape = p.Value; break;
                case "data_offsets" when offsets is null: offsets = p.Value; break;
                case "dtype" or "shape" or "data_offsets": throw bad($"{field} {p.Name}", "it is listed twice");
                default: throw bad(field, $"it has the unknown field '{Shown(p.Name)}' (a tensor has dtype, shape and data_offsets)");
            }
        }

        if (dtype is not { ValueKind: JsonValueKind.String } d)
            throw bad($"{field} dtype", dtype is null ? "missing" : $"it is {Article(dtype.Value.ValueKind)}, not a string");
        var size = d.GetString() switch
        {
            "F32" => 4,
            "F64" => 8,
            var other when OtherDtypes.Contains(other) => throw bad($"{field} dtype", $"{other} is not read by Hybrid (F32 and F64 are)"),
            var other => throw bad($"{field} dtype", $"'{Shown(other!)}' is not a safetensors dtype"),
        };

        if (shape is not { ValueKind: JsonValueKind.Array } s)
            throw bad($"{field} shape", shape is null ? "missing" : $"it is {Article(shape.Value.ValueKind)}, not an array of dimensions");
        if (s.GetArrayLength() > MaxRank) throw bad($"{field} shape", $"{s.GetArrayLength()} dimensions, more than {MaxRank}");
        var dims = new int[s.GetArrayLength()];
        var i = 0;
        foreach (var dim in s.EnumerateArray())
        {
            if (dim.ValueKind != JsonValueKind.Number || !dim.TryGetInt64(out var n))
                throw bad($"{field} shape", $"dimension {i} is {Text(dim)}, not an integer");
            if (n < 0) throw bad($"{field} shape", $"dimension {i} is {n}, negative");
            if (n > int.MaxValue) throw bad($"{field} shape", $"dimension {i} is {n}, more than {int.MaxValue}");
            dims[i++] = (int)n;
        }

        if (offsets is not { ValueKind: JsonValueKind.Array } o)
            throw bad($"{field} data_offsets", offsets is null ? "missing" : $"it is {Article(offsets.Value.ValueKind)}, not [begin, end]");
        if (o.GetArrayLength() != 2) throw bad($"{field} data_offsets", $"{o.GetArrayLength()} numbers, not [begin, end]");
        var range = new long[2];
        for (var k = 0; k < 2; k++)
        {
            var v = o[k];
            if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt64(out range[k]))
                throw bad($"{field} data_offsets", $"{Text(v)} is not an integer byte offset");
            if (range[k] < 0) throw bad($"{field} data_offsets", $"{range[k]} is negative");
        }

        var (begin, end) = (range[0], range[1]);
        if (begin > end) throw bad($"{field} data_offsets", $"[{begin}, {end}] ends before it begins");
        if (end > dataLength)
            throw bad($"{field} data_offsets", $"does not fit: [{begin}, {end}] reaches past the {dataLength:N0} data bytes (truncated?)");
        long bytes;
        try
        {
            bytes = checked(dims.Aggregate(1L, (a, x) => a * x) * size);
        }
        catch (OverflowException)
        {
            throw bad($"{field} shape", $"[{string.Join(", ", dims)}] holds more elements than 64 bits count");
        }

        if (bytes != end - begin)
            throw bad(field, $"[{string.Join(", ", dims)}] {d.GetString()} is {bytes:N0} bytes, but its data_offsets [{begin}, {end}] hold {end - begin:N0} (does not fit)");
        return (entry.Name, size == 8, dims, begin, end);
    }

    /// <summary>The offset of the first byte that is not part of valid UTF-8, or null when all are.</summary>
    static long? InvalidUtf8At(ReadOnlySpan<byte> bytes)
    {
        if (System.Text.Unicode.Utf8.IsValid(bytes)) return null;
        var at = 0;
        while (at < bytes.Length)
        {
            if (Rune.DecodeFromUtf8(bytes[at..], out _, out var used) != System.Buffers.OperationStatus.Done) return at;
            at += used;
        }

        return at;
    }

    static string Article(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => kind.ToString(),
    };

    /// <summary>A JSON value as the file has it, shortened, for a message.</summary>
    static string Text(JsonElement value) => Shown(value.GetRawText());

    /// <summary>A name or value from the file, shortened and with control characters escaped, for a message.</summary>
    static string Shown(string text)
    {
        var shown = text.Length > 60 ? text[..60] + "…" : text;
        return shown.Any(char.IsControl) ? JsonEncodedText.Encode(shown).ToString() : shown;
    }

    static void ReadSingles(Stream file, float[] data)
    {
        file.ReadExactly(System.Runtime.InteropServices.MemoryMarshal.AsBytes(data.AsSpan()));
        if (!BitConverter.IsLittleEndian)
            for (var i = 0; i < data.Length; i++)
                data[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReverseEndianness(BitConverter.SingleToInt32Bits(data[i])));
    }

    static void ReadDoubles(Stream file, float[] data)
    {
        var chunk = new byte[Math.Min(data.Length, 1 << 16) * 8];
        for (var done = 0; done < data.Length;)
        {
            var n = Math.Min(data.Length - done, chunk.Length / 8);
            file.ReadExactly(chunk.AsSpan(0, n * 8));
            for (var i = 0; i < n; i++) data[done + i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(chunk.AsSpan(i * 8));
            done += n;
        }
    }
}

/// <summary>File writes that never leave a half-written file behind, and the checks that a destination can take one.</summary>
public static class Files
{
    // A temporary file is ".NAME.GUID.tmp" beside its destination.
    static string TemporaryPattern(string full) => $".{Path.GetFileName(full)}.*.tmp";

    static readonly Lazy<DateTime> ProcessStart = new(() =>
    {
        using var self = System.Diagnostics.Process.GetCurrentProcess();
        return self.StartTime.ToUniversalTime();
    });

    /// <summary>
    /// Writes through <paramref name="write"/> into a temporary file beside <paramref name="path"/>, flushes it to
    /// disk, then renames it into place: a reader (or a crash, or kill -9, at any moment) sees the old file or the
    /// new one, never a mixture. Temporary files of earlier writes to the same path that were killed before their
    /// rename (older than this process) are removed first.
    /// </summary>
    public static void WriteAtomic(string path, Action<Stream> write)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(write);
        var full = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(folder);
        RemoveStaleTemporaries(full);
        var temporary = Path.Combine(folder, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, full, overwrite: true);
        }
        catch (IOException e) when (IsDiskFull(e))
        {
            throw new IOException($"{full}: no space left on the device ({FreeSpace(folder)} free); nothing was written, the old file (if any) is unchanged.", e);
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
    }

    /// <summary>Writes text atomically.</summary>
    public static void WriteAllTextAtomic(string path, string text) =>
        WriteAtomic(path, stream => stream.Write(Encoding.UTF8.GetBytes(text)));

    /// <summary>
    /// Checks, before long work, that <paramref name="path"/> can take a file of about <paramref name="bytes"/> bytes
    /// written by <see cref="WriteAtomic"/>: it is not a directory, its folder exists or can be made, a file can be
    /// created there (not read-only, not denied), and the disk has room for the temporary copy.
    /// </summary>
    /// <param name="path">The destination.</param>
    /// <param name="bytes">About how large the file will be.</param>
    /// <param name="what">What the file is, for the message ("--save", "the report").</param>
    /// <exception cref="IOException">The destination cannot take the file; the message says why.</exception>
    public static void CheckDestination(string path, long bytes, string what)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string full;
        try
        {
            full = Path.GetFullPath(path);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new IOException($"{what}: '{path}' is not a usable path ({e.Message}).", e);
        }

        if (Directory.Exists(full)) throw new IOException($"{what}: {full} is a directory; give a file name.");
        if (File.Exists(full) && File.GetAttributes(full).HasFlag(FileAttributes.ReadOnly))
            throw new IOException($"{what}: {full} is read-only; it could not be replaced.");
        var folder = Path.GetDirectoryName(full)!;
        var existing = folder;
        while (!Directory.Exists(existing))
        {
            if (File.Exists(existing)) throw new IOException($"{what}: {existing} is a file, so {full} cannot be made inside it.");
            existing = Path.GetDirectoryName(existing) ?? throw new IOException($"{what}: no folder of {full} exists.");
        }

        // Creating (and removing) a file is the one test of writability that sees permissions, ACLs and read-only mounts.
        var probe = Path.Combine(existing, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.probe");
        try
        {
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose))
            {
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"{what}: cannot write in {existing} ({e.Message}).", e);
        }

        long free;
        try
        {
            free = new DriveInfo(existing).AvailableFreeSpace;
        }
        catch (Exception e) when (e is IOException or ArgumentException or UnauthorizedAccessException)
        {
            return; // No figure for this file system: the write itself will say if it runs out.
        }

        var needed = bytes + (1 << 20);
        if (free < needed)
            throw new IOException($"{what}: {existing} has {Size(free)} free, but {full} needs about {Size(needed)}.");
    }

    /// <summary>
    /// Removes ".NAME.*.tmp" files beside <paramref name="full"/> that are older than this process (writes killed before
    /// their rename), and ".NAME.*.probe" files of <see cref="CheckDestination"/> killed before they were removed.
    /// </summary>
    static void RemoveStaleTemporaries(string full)
    {
        try
        {
            var folder = Path.GetDirectoryName(full)!;
            foreach (var stale in Directory.EnumerateFiles(folder, TemporaryPattern(full)).Concat(Directory.EnumerateFiles(folder, $".{Path.GetFileName(full)}.*.probe")))
                if (File.GetLastWriteTimeUtc(stale) < ProcessStart.Value)
                    File.Delete(stale);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Another process removing the same file, or a folder we may not list: the write goes on.
        }
    }

    /// <summary>True for the error of a full disk (ENOSPC on Unix, ERROR_DISK_FULL / ERROR_HANDLE_DISK_FULL on Windows).</summary>
    internal static bool IsDiskFull(IOException e) =>
        OperatingSystem.IsWindows() ? (e.HResult & 0xFFFF) is 0x70 or 0x27 : e.HResult == 28 || e.Message.Contains("No space left", StringComparison.Ordinal);

    /// <summary>The free space of the disk holding <paramref name="folder"/>, readable, or "unknown".</summary>
    internal static string FreeSpace(string folder)
    {
        try
        {
            return Size(new DriveInfo(Path.GetFullPath(folder)).AvailableFreeSpace);
        }
        catch (Exception e) when (e is IOException or ArgumentException or UnauthorizedAccessException)
        {
            return "unknown space";
        }
    }

    internal static string Size(long bytes) => bytes switch
    {
        < 1 << 20 => $"{bytes / 1024.0:F1} KB",
        < 1 << 30 => $"{bytes / (1024.0 * 1024):F1} MB",
        _ => $"{bytes / (1024.0 * 1024 * 1024):F2} GB",
    };
}
