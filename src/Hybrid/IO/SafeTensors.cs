using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

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

    /// <summary>Reads every tensor (F32, or F64 converted to float32) and the metadata of a safetensors file.</summary>
    /// <exception cref="InvalidDataException">The file is truncated, its header is not valid, or a tensor does not fit its byte range; the message names the file.</exception>
    public static (IReadOnlyDictionary<string, StoredTensor> Tensors, IReadOnlyDictionary<string, string> Metadata) Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"model file not found: {path}", path);
        var bytes = File.ReadAllBytes(path);
        InvalidDataException Bad(string what) => new($"{path}: not a valid safetensors file: {what}.");
        if (bytes.Length < 8) throw Bad($"{bytes.Length} bytes, too short for the 8-byte header length");
        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (headerLength > (ulong)(bytes.Length - 8)) throw Bad($"the header claims {headerLength} bytes but the file has {bytes.Length - 8} after the length (truncated?)");
        var dataStart = 8 + (int)headerLength;
        var dataLength = bytes.Length - dataStart;

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(bytes.AsMemory(8, (int)headerLength));
        }
        catch (JsonException e)
        {
            throw Bad($"the JSON header does not parse ({e.Message})");
        }

        var tensors = new Dictionary<string, StoredTensor>();
        var metadata = new Dictionary<string, string>();
        using (document)
        {
            foreach (var entry in document.RootElement.EnumerateObject())
            {
                if (entry.Name == "__metadata__")
                {
                    foreach (var m in entry.Value.EnumerateObject()) metadata[m.Name] = m.Value.GetString() ?? "";
                    continue;
                }

                try
                {
                    var dtype = entry.Value.GetProperty("dtype").GetString();
                    var shape = entry.Value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()).ToArray();
                    var offsets = entry.Value.GetProperty("data_offsets").EnumerateArray().Select(d => d.GetInt64()).ToArray();
                    var count = shape.Aggregate(1L, (a, d) => a * d);
                    var size = dtype switch
                    {
                        "F32" => 4,
                        "F64" => 8,
                        _ => throw Bad($"tensor {entry.Name} has dtype {dtype}; only F32 and F64 are read"),
                    };
                    if (offsets.Length != 2 || offsets[0] < 0 || offsets[1] > dataLength || offsets[1] - offsets[0] != count * size)
                        throw Bad($"tensor {entry.Name} [{string.Join(", ", shape)}] {dtype} does not fit its data_offsets [{string.Join(", ", offsets)}] in {dataLength} data bytes");
                    var span = bytes.AsSpan(dataStart + (int)offsets[0], (int)(count * size));
                    var data = new float[count];
                    for (var i = 0; i < count; i++)
                        data[i] = size == 4
                            ? BinaryPrimitives.ReadSingleLittleEndian(span[(i * 4)..])
                            : (float)BinaryPrimitives.ReadDoubleLittleEndian(span[(i * 8)..]);
                    tensors[entry.Name] = new StoredTensor(shape, data);
                }
                catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or FormatException)
                {
                    throw Bad($"tensor {entry.Name} lacks dtype, shape or data_offsets ({e.Message})");
                }
            }
        }

        return (tensors, metadata);
    }
}

/// <summary>File writes that never leave a half-written file behind.</summary>
public static class Files
{
    /// <summary>Writes through <paramref name="write"/> into a temporary file beside <paramref name="path"/>, then renames it into place.</summary>
    public static void WriteAtomic(string path, Action<Stream> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        var full = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(folder);
        var temporary = Path.Combine(folder, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = File.Create(temporary))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
    }

    /// <summary>Writes text atomically.</summary>
    public static void WriteAllTextAtomic(string path, string text) =>
        WriteAtomic(path, stream => stream.Write(Encoding.UTF8.GetBytes(text)));
}
