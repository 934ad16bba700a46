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

    // Deflate compresses at most 1032:1, so a gzip file of n bytes never holds more than about 1032 n.
    let private deflateRatio = 1032L

    /// Reads from the file's stream, turning a corrupt gzip stream's error into one naming the file.
    let private reading (path: string) (gzip: bool) (read: unit -> 'a) =
        try
            read ()
        with :? InvalidDataException as e when gzip && not (e.Message.StartsWith path) ->
            fail path $"the gzip stream is corrupt ({e.Message})"

    let private bigEndian (b: byte[]) (at: int) =
        (uint32 b[at] <<< 24)
        ||| (uint32 b[at + 1] <<< 16)
        ||| (uint32 b[at + 2] <<< 8)
        ||| uint32 b[at + 3]

    /// Reads an IDX file, raw or gzip-compressed (told by its first two bytes, 1f 8b), checking the magic number
    /// (two zero bytes, type 0x08, dimension count), every dimension, and that the data is exactly as long as the
    /// dimensions say, before it allocates the data: for a raw file against its length; for a gzip file against
    /// what its compressed length can hold, and by decompressing no more than the header declares plus one byte
    /// (a gzip bomb is refused after that byte). A path that is not a regular file (a directory, FIFO or device),
    /// and a corrupt or truncated file, raise InvalidDataException naming the file and what is wrong; a missing
    /// file raises FileNotFoundException.
    let read (path: string) : IdxFile =
        use file = InputFile.openRegular path
        let length = file.Length
        let start = Array.zeroCreate<byte> 2

        let gzip =
            InputFile.readUpTo file start 0 2 = 2 && start[0] = 0x1fuy && start[1] = 0x8buy

        file.Position <- 0L

        use input =
            if gzip then
                new GZipStream(file, CompressionMode.Decompress, true) :> Stream
            else
                file :> Stream

        let source = if gzip then "decompressed " else ""

        let readUpTo buffer offset count =
            reading path gzip (fun () -> InputFile.readUpTo input buffer offset count)

        let magic = Array.zeroCreate<byte> 4
        let got = readUpTo magic 0 4

        if got < 4 then
            fail path $"truncated: {got} {source}bytes, too short for the 4-byte magic number"

        if magic[0] <> 0uy || magic[1] <> 0uy then
            fail path $"not an IDX file: the magic number starts {magic[0]:x2} {magic[1]:x2}, expected 00 00"

        if magic[2] <> 0x08uy then
            fail path $"unsupported element type 0x{magic[2]:x2}: only unsigned bytes (0x08) are read"

        let rank = int magic[3]

        if rank < 1 then
            fail path "the magic number declares no dimensions"

        let header = 4 + 4 * rank
        let sizes = Array.zeroCreate<byte>(4 * rank)
        let got = readUpTo sizes 0 sizes.Length

        if got < sizes.Length then
            fail path $"truncated: {4 + got} {source}bytes, but {rank} dimensions need a {header}-byte header"

        let dims =
            Array.init rank (fun i ->
                let d = bigEndian sizes (4 * i)

                if d < 1u || d > uint32 Int32.MaxValue then
                    fail path $"dimension {i} is {d}; every dimension must be in [1, {Int32.MaxValue}]"

                int d)

        let shape = String.Join('×', dims)
        let expected = InputFile.elementCount path "dimensions" (dims |> Seq.map int64)

        if expected > InputFile.maxArrayBytes then
            fail path $"the header declares {shape} = {expected:N0} bytes of data, more than one array holds"

        if not gzip then
            let actual = length - int64 header

            if actual < expected then
                fail path $"truncated: the header declares {shape} = {expected} bytes of data, but only {actual} follow"

            if actual > expected then
                fail path $"corrupt: the header declares {shape} = {expected} bytes of data, but {actual} follow"
        elif expected > deflateRatio * length then
            fail
                path
                $"truncated or corrupt: the header declares {shape} = {expected:N0} bytes of data, more than a gzip file of {length:N0} bytes can hold"

        InputFile.checkAllocation path "data" expected
        let data = Array.zeroCreate<byte>(int expected)
        let got = readUpTo data 0 data.Length

        if got < data.Length then
            fail path $"truncated: the header declares {shape} = {expected} bytes of data, but only {got} follow"

        // One byte more tells a file that goes on (a gzip bomb: decompression stops here) from one that ends.
        if readUpTo (Array.zeroCreate 1) 0 1 > 0 then
            fail path $"corrupt: the header declares {shape} = {expected} bytes of data, but more {source}bytes follow"

        // A gzip stream cut inside its 8-byte trailer inflates without complaint; its last four bytes (ISIZE, the
        // inflated length modulo 2³²) then do not match. A file of several gzip members fails this check too.
        if gzip then
            let trailer = Array.zeroCreate<byte> 4
            file.Position <- length - 4L

            if
                length < 18L
                || InputFile.readUpTo file trailer 0 4 < 4
                || BitConverter.ToUInt32(trailer, 0) <> uint32 (int64 header + expected)
            then
                fail
                    path
                    "truncated or corrupt: the gzip trailer does not match the inflated data (a file of several gzip members is not read)"

        { Dimensions = dims; Data = data }

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
