using System.Buffers.Binary;
using System.Globalization;
using Google.Protobuf;
using Hybrid.Onnx.Proto;

namespace Hybrid.Onnx;

/// <summary>
/// Reading an .onnx file that may be hostile: a regular file of at most <see cref="OnnxFormat.MaxFileBytes"/>, parsed
/// by protobuf (whose allocations are bounded by the bytes present), and tensors decoded only after their declared
/// shape has been checked against the data actually there. Every fault is an InvalidDataException
/// "{path}: {field}: {fault}".
/// </summary>
static class OnnxFile
{
    public static InvalidDataException Fault(string path, string field, string what) => new($"{path}: {field}: {what}");

    /// <summary>A name as it appears in a message: quoted, and cut short, since a hostile file's names can be megabytes long.</summary>
    public static string Quote(string name) => name.Length <= 60 ? $"'{name}'" : $"'{name[..57]}...' ({name.Length:N0} characters)";

    /// <summary>Reads and parses the file whole.</summary>
    public static ModelProto Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (Directory.Exists(path)) throw Fault(path, "file", "is a directory, not an ONNX file");
        if (!File.Exists(path)) throw new FileNotFoundException($"ONNX file not found: {path}", path);
        // FIFOs, sockets and devices report a length of 0: refusing that before opening keeps a FIFO's open from
        // blocking and /dev/zero from being read for ever.
        var declared = new FileInfo(path).Length;
        if (declared == 0) throw Fault(path, "file", "is empty (0 bytes), or not a regular file (a FIFO, socket or device)");
        if (declared > OnnxFormat.MaxFileBytes)
            throw Fault(path, "file", string.Create(CultureInfo.InvariantCulture, $"{declared:N0} bytes, more than the {OnnxFormat.MaxFileBytes:N0} Hybrid reads"));

        byte[] bytes;
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan))
        {
            if (!stream.CanSeek || stream.Length != declared) throw Fault(path, "file", "is not a regular file (it cannot seek, or its length changed)");
            bytes = new byte[declared];
            var read = 0;
            while (read < bytes.Length)
            {
                var n = stream.Read(bytes, read, bytes.Length - read);
                if (n == 0) throw Fault(path, "file", $"ended after {read:N0} of its {declared:N0} bytes (it shrank while read)");
                read += n;
            }
        }

        try
        {
            return ModelProto.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException e)
        {
            // Truncations, bad varints, lengths past the end, nesting too deep, bad UTF-8 in a string field.
            throw Fault(path, "protobuf", $"not a valid ONNX ModelProto ({e.Message})");
        }
    }

    /// <summary>The element count of a tensor's dims, each non-negative, with overflow and a sane rank refused.</summary>
    public static long Count(string path, string field, TensorProto t)
    {
        if (t.Dims.Count > 8) throw Fault(path, field, $"has {t.Dims.Count} dimensions; Hybrid reads tensors of at most 8");
        long count = 1;
        foreach (var d in t.Dims)
        {
            if (d < 0) throw Fault(path, field, $"has a negative dimension {d} in [{Dims(t)}]");
            try
            {
                count = checked(count * d);
            }
            catch (OverflowException)
            {
                throw Fault(path, field, $"dims [{Dims(t)}] overflow 64 bits");
            }
        }

        return count;
    }

    public static string Dims(TensorProto t) => t.Dims.Count <= 8 ? string.Join(", ", t.Dims) : $"{t.Dims.Count:N0} dimensions";

    /// <summary>
    /// A FLOAT tensor's values, row-major, after checking that the data present matches the shape. (Only FLOAT: the
    /// samples are FLOAT, and ONNX binds one type to all of Gemm's or MatMul's inputs.)
    /// </summary>
    public static float[] Floats(string path, string field, TensorProto t)
    {
        CheckLocal(path, field, t);
        if (t.DataType != (int)TensorProto.Types.DataType.Float)
            throw Fault(path, field, $"has data type {TypeName(t.DataType)}; the samples are FLOAT, so weights must be FLOAT too");
        var count = Count(path, field, t);
        // The count now matches data present in the file, so this allocation is bounded by the file's size.
        var values = new float[Present(path, field, t, count, sizeof(float), t.FloatData.Count, "FLOAT")];
        if (t.RawData.Length > 0)
            for (var i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadSingleLittleEndian(t.RawData.Span[(i * 4)..]);
        else t.FloatData.CopyTo(values, 0);
        return values;
    }

    /// <summary>An INT64 tensor's values (a Reshape's shape), checked the same way.</summary>
    public static long[] Int64s(string path, string field, TensorProto t)
    {
        CheckLocal(path, field, t);
        if (t.DataType != (int)TensorProto.Types.DataType.Int64)
            throw Fault(path, field, $"has data type {TypeName(t.DataType)}; a shape must be INT64");
        var count = Count(path, field, t);
        var longs = new long[Present(path, field, t, count, sizeof(long), t.Int64Data.Count, "INT64")];
        if (t.RawData.Length > 0)
            for (var i = 0; i < longs.Length; i++) longs[i] = BinaryPrimitives.ReadInt64LittleEndian(t.RawData.Span[(i * 8)..]);
        else t.Int64Data.CopyTo(longs, 0);
        return longs;
    }

    /// <summary>A BOOL tensor's single value (Dropout's training_mode).</summary>
    public static bool Bool(string path, string field, TensorProto t)
    {
        CheckLocal(path, field, t);
        if (t.DataType != (int)TensorProto.Types.DataType.Bool) throw Fault(path, field, $"has data type {TypeName(t.DataType)}; expected BOOL");
        if (Count(path, field, t) != 1) throw Fault(path, field, $"has shape [{Dims(t)}]; expected one value");
        if (t.RawData.Length == 1) return t.RawData[0] != 0;
        if (t.RawData.Length == 0 && t.Int32Data.Count == 1) return t.Int32Data[0] != 0;
        throw Fault(path, field, "does not hold exactly one BOOL");
    }

    static void CheckLocal(string path, string field, TensorProto t)
    {
        if (t.DataLocation == TensorProto.Types.DataLocation.External || t.ExternalData.Count > 0)
            throw Fault(path, field, "keeps its data in an external file, which Hybrid does not read (save the model with its weights inside)");
    }

    /// <summary>
    /// Checks that exactly one of raw_data and the typed field holds the tensor's count values, before anything the
    /// size of the tensor is allocated; returns the count, which is then at most the file's length.
    /// </summary>
    static int Present(string path, string field, TensorProto t, long count, int size, int typed, string type)
    {
        var raw = t.RawData.Length;
        if (raw > 0 && typed > 0) throw Fault(path, field, "holds both raw_data and typed data; ONNX allows one");
        if (raw > 0)
        {
            // count ≤ 2⁶³ / 8 here is not guaranteed: compare by division, which cannot overflow.
            if (raw % size != 0 || raw / size != count)
                throw Fault(path, field, string.Create(CultureInfo.InvariantCulture,
                    $"raw_data has {raw:N0} bytes, but shape [{Dims(t)}] of {type} needs {(count <= long.MaxValue / size ? (count * size).ToString("N0", CultureInfo.InvariantCulture) : "more than 2⁶³")}"));
        }
        else if (typed != count)
            throw Fault(path, field, string.Create(CultureInfo.InvariantCulture, $"holds {typed:N0} values, but shape [{Dims(t)}] needs {count:N0}"));

        return (int)count;
    }

    public static string TypeName(int dataType) =>
        Enum.IsDefined(typeof(TensorProto.Types.DataType), dataType) ? ((TensorProto.Types.DataType)dataType).ToString().ToUpperInvariant() : $"{dataType} (unknown)";
}
