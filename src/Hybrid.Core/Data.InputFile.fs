namespace Hybrid.Core

open System
open System.IO
open System.Runtime.InteropServices

/// Linux's statx(2), for the one field a reader needs before it opens a path: the file type. The layout of
/// struct statx is the same on every Linux architecture (stx_mode is the u16 at byte 28), unlike struct stat.
module internal Native =
    [<DllImport("libc", SetLastError = true, EntryPoint = "statx")>]
    extern int statx(
        int dirfd,
        [<MarshalAs(UnmanagedType.LPUTF8Str)>] string path,
        int flags,
        uint32 mask,
        byte[] buffer
    )

/// Reading files that may be hostile. Every reader (IDX, safetensors, and each format added later) opens its
/// file with openRegular and sizes each allocation with these checks before it makes it, so that a crafted
/// file gives an InvalidDataException naming the file, the field and the fault: never an overflow, an
/// out-of-memory abort, or a read that blocks (a FIFO) or never ends (/dev/zero).
[<RequireQualifiedAccess>]
module InputFile =

    /// The exception every reader raises for a bad file: "{path}: {field}: {fault}".
    let fault (path: string) (field: string) (what: string) =
        InvalidDataException($"{path}: {field}: {what}")

    let private fileType (path: string) =
        if not (OperatingSystem.IsLinux()) then
            None
        else
            try
                let buffer = Array.zeroCreate<byte> 256
                // AT_FDCWD = -100, flags 0 (follow symbolic links, as open does), mask STATX_TYPE = 1.
                if Native.statx (-100, path, 0, 1u, buffer) = 0 then
                    Some(int (BitConverter.ToUInt16(buffer, 28)) &&& 0o170000)
                else
                    None
            with
            | :? DllNotFoundException
            | :? EntryPointNotFoundException -> None

    let private describe (mode: int) =
        match mode with
        | 0o040000 -> "a directory"
        | 0o010000 -> "a FIFO (named pipe)"
        | 0o020000 -> "a character device"
        | 0o060000 -> "a block device"
        | 0o140000 -> "a socket"
        | m -> $"not a regular file (type 0o{Convert.ToString(m, 8)})"

    /// Opens a path for reading, after making sure it is a regular file (symbolic links followed): a missing path
    /// raises FileNotFoundException; a directory, FIFO, socket or device raises InvalidDataException naming what it
    /// is, before it is opened (opening a FIFO blocks until a writer comes; a device such as /dev/zero never ends).
    /// Where the file type cannot be asked for (not Linux), an empty path entry is refused the same way, since
    /// FIFOs and devices report a length of 0. The stream is seekable and its Length is the file's.
    let openRegular (path: string) : FileStream =
        if String.IsNullOrEmpty path then
            invalidArg "path" "the path is empty"

        if Directory.Exists path then
            raise (fault path "file" "is a directory, not a file")

        if not (File.Exists path) then
            raise (FileNotFoundException($"file not found: {path}", path))

        match fileType path with
        | Some 0o100000 -> ()
        | Some mode -> raise (fault path "file" $"is {describe mode}, not a regular file")
        | None when (FileInfo path).Length = 0L ->
            raise (fault path "file" "is empty (0 bytes), or not a regular file (a FIFO, socket or device)")
        | None -> ()

        let stream =
            new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 <<< 16, FileOptions.SequentialScan)

        if not stream.CanSeek then
            stream.Dispose()
            raise (fault path "file" "is not a regular file (it cannot seek)")

        stream

    /// Reads up to count bytes into buffer at offset, looping over short reads; returns how many were read
    /// (fewer than count only at the end of the stream).
    let readUpTo (stream: Stream) (buffer: byte[]) (offset: int) (count: int) =
        let mutable total = 0
        let mutable finished = false

        while not finished && total < count do
            let n = stream.Read(buffer, offset + total, count - total)

            if n = 0 then finished <- true else total <- total + n

        total

    /// The product of dimensions, with a named fault for a negative dimension or a product beyond Int64.
    let elementCount (path: string) (field: string) (dims: int64 seq) : int64 =
        dims
        |> Seq.fold
            (fun acc d ->
                if d < 0L then
                    raise (fault path field $"dimension {d} is negative")

                try
                    Checked.(*) acc d
                with :? OverflowException ->
                    raise (fault path field "the dimensions' product overflows 64 bits"))
            1L

    /// The most bytes one .NET array holds (Array.MaxLength): a file declaring more cannot be read into memory.
    let maxArrayBytes = int64 Array.MaxLength

    /// The memory the runtime may use in all (physical memory, or the container's limit), in bytes.
    let totalMemory () : int64 =
        match GC.GetGCMemoryInfo().TotalAvailableMemoryBytes with
        | n when n > 0L -> n
        | _ -> Int64.MaxValue

    /// Refuses an allocation of bytes for field when it exceeds one array or half the runtime's memory.
    let checkAllocation (path: string) (field: string) (bytes: int64) =
        if bytes > maxArrayBytes then
            raise (fault path field $"{bytes:N0} bytes would be needed, more than one array holds ({maxArrayBytes:N0})")

        let memory = totalMemory ()

        if bytes > memory / 2L then
            raise (
                fault path field $"{bytes:N0} bytes would be needed, more than half the memory available ({memory:N0})"
            )
