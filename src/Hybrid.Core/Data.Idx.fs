namespace Hybrid.Core

open System
open System.IO
open System.IO.Compression

/// The contents of an IDX file (the format of the MNIST files): its dimensions and its bytes.
type IdxFile = { Dimensions: int[]; Data: byte[] }

/// Reading and writing IDX files of unsigned bytes (type code 0x08), raw or gzip-compressed.
[<RequireQualifiedAccess>]
module Idx =

    let private fail (path: string) (what: string) =
        raise (InvalidDataException($"{path}: {what}"))

    let private readAll (path: string) =
        if not (File.Exists path) then
            raise (FileNotFoundException($"IDX file not found: {path}", path))

        let raw = File.ReadAllBytes path

        if raw.Length >= 2 && raw[0] = 0x1fuy && raw[1] = 0x8buy then
            try
                use input = new GZipStream(new MemoryStream(raw), CompressionMode.Decompress)
                use output = new MemoryStream()
                input.CopyTo output
                output.ToArray()
            with :? InvalidDataException as e ->
                fail path $"the gzip stream is corrupt ({e.Message})"
        else
            raw

    let private bigEndian (b: byte[]) (at: int) =
        (int b[at] <<< 24)
        ||| (int b[at + 1] <<< 16)
        ||| (int b[at + 2] <<< 8)
        ||| int b[at + 3]

    /// Reads an IDX file, checking the magic number (two zero bytes, type 0x08, dimension count),
    /// every dimension, and that the data is exactly as long as the dimensions say. A corrupt or
    /// truncated file raises InvalidDataException naming the file and what is wrong.
    let read (path: string) : IdxFile =
        let bytes = readAll path

        if bytes.Length < 4 then
            fail path $"truncated: {bytes.Length} bytes, too short for the 4-byte magic number"

        if bytes[0] <> 0uy || bytes[1] <> 0uy then
            fail path $"not an IDX file: the magic number starts {bytes[0]:x2} {bytes[1]:x2}, expected 00 00"

        if bytes[2] <> 0x08uy then
            fail path $"unsupported element type 0x{bytes[2]:x2}: only unsigned bytes (0x08) are read"

        let rank = int bytes[3]

        if rank < 1 then
            fail path "the magic number declares no dimensions"

        let header = 4 + 4 * rank

        if bytes.Length < header then
            fail path $"truncated: {bytes.Length} bytes, but {rank} dimensions need a {header}-byte header"

        let dims = Array.init rank (fun i -> bigEndian bytes (4 + 4 * i))

        dims
        |> Array.iteri (fun i d ->
            if d < 1 then
                fail path $"dimension {i} is {d}; every dimension must be positive")

        let expected = dims |> Array.fold (fun acc d -> acc * int64 d) 1L
        let actual = int64 (bytes.Length - header)

        if actual < expected then
            fail
                path
                $"truncated: the header declares {String.Join('×', dims)} = {expected} bytes of data, but only {actual} follow"

        if actual > expected then
            fail
                path
                $"corrupt: the header declares {String.Join('×', dims)} = {expected} bytes of data, but {actual} follow"

        {
            Dimensions = dims
            Data = bytes[header..]
        }

    /// Writes an IDX file of unsigned bytes, atomically (a temporary file renamed into place).
    let write (path: string) (file: IdxFile) =
        let expected = file.Dimensions |> Array.fold (fun acc d -> acc * int64 d) 1L

        if int64 file.Data.Length <> expected then
            invalidArg "file" $"the data has {file.Data.Length} bytes but the dimensions need {expected}"

        let full = Path.GetFullPath path
        let temporary = full + $".{Guid.NewGuid():N}.tmp"

        try
            using (File.Create temporary) (fun stream ->
                let header =
                    [|
                        yield! [| 0uy; 0uy; 0x08uy; byte file.Dimensions.Length |]
                        for d in file.Dimensions do
                            yield! [| byte (d >>> 24); byte (d >>> 16); byte (d >>> 8); byte d |]
                    |]

                stream.Write(header, 0, header.Length)
                stream.Write(file.Data, 0, file.Data.Length))

            File.Move(temporary, full, true)
        finally
            if File.Exists temporary then
                File.Delete temporary
