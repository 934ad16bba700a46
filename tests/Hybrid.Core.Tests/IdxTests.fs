module Hybrid.Core.Tests.IdxTests

open System
open System.IO
open System.IO.Compression
open Xunit
open Hybrid.Core

let private temp () =
    Path.Combine(Path.GetTempPath(), $"hybrid-idx-{Guid.NewGuid():N}")

let private sample =
    {
        Dimensions = [| 3; 2; 2 |]
        Data = Array.init 12 byte
    }

[<Fact>]
let ``an IDX file reads back what was written`` () =
    let path = temp ()
    Idx.write path sample
    let back = Idx.read path
    Assert.Equal<int[]>(sample.Dimensions, back.Dimensions)
    Assert.Equal<byte[]>(sample.Data, back.Data)
    File.Delete path

[<Fact>]
let ``a gzip-compressed IDX file is read too`` () =
    let raw = temp ()
    Idx.write raw sample
    let gz = raw + ".gz"

    using (new GZipStream(File.Create gz, CompressionLevel.Optimal)) (fun z ->
        let bytes = File.ReadAllBytes raw
        z.Write(bytes, 0, bytes.Length))

    Assert.Equal<byte[]>(sample.Data, (Idx.read gz).Data)
    File.Delete raw
    File.Delete gz

let private corrupted (bytes: byte[]) =
    let path = temp ()
    File.WriteAllBytes(path, bytes)
    let e = Assert.Throws<InvalidDataException>(fun () -> Idx.read path |> ignore)
    File.Delete path
    Assert.Contains(path, e.Message)
    e.Message

let private valid () =
    let path = temp ()
    Idx.write path sample
    let bytes = File.ReadAllBytes path
    File.Delete path
    bytes

[<Fact>]
let ``a truncated IDX file names the file and how many bytes are missing`` () =
    let bytes = valid ()
    let message = corrupted bytes[.. bytes.Length - 4]
    Assert.Contains("truncated", message)
    Assert.Contains("12 bytes of data, but only 9", message)

[<Fact>]
let ``a file cut inside its header is truncated`` () =
    let bytes = valid ()
    Assert.Contains("truncated", corrupted bytes[..6])

[<Fact>]
let ``a wrong magic number is named`` () =
    let bytes = valid ()
    bytes[0] <- 0x50uy
    Assert.Contains("magic number", corrupted bytes)

[<Fact>]
let ``an unsupported element type is named`` () =
    let bytes = valid ()
    bytes[2] <- 0x0Duy
    Assert.Contains("element type 0x0d", corrupted bytes)

[<Fact>]
let ``extra bytes after the data are corrupt`` () =
    Assert.Contains("corrupt", corrupted (Array.append (valid ()) [| 1uy |]))

[<Fact>]
let ``a missing file names its path`` () =
    let path = temp ()
    let e = Assert.Throws<FileNotFoundException>(fun () -> Idx.read path |> ignore)
    Assert.Contains(path, e.Message)

let private gzip (bytes: byte[]) =
    use output = new MemoryStream()

    using (new GZipStream(output, CompressionLevel.Fastest, true)) (fun z -> z.Write(bytes, 0, bytes.Length))

    output.ToArray()

[<Fact>]
let ``dimensions of 2^31 and more, or whose product overflows, are named before anything is allocated`` () =
    let header (dims: uint32[]) =
        [|
            yield! [| 0uy; 0uy; 0x08uy; byte dims.Length |]
            for d in dims do
                yield! [| byte (d >>> 24); byte (d >>> 16); byte (d >>> 8); byte d |]
        |]

    Assert.Contains("must be in [1, 2147483647]", corrupted (header [| 0x80000000u |]))
    Assert.Contains("overflows 64 bits", corrupted (header (Array.create 4 0x7fffffffu)))
    Assert.Contains("truncated", corrupted (header [| 60000u; 28u; 28u |]))

[<Fact>]
let ``a gzip bomb is refused once the declared size is passed`` () =
    let path = temp () + ".gz"
    File.WriteAllBytes(path, Array.append (gzip (valid ())) (gzip (Array.zeroCreate (32 <<< 20))))
    let e = Assert.Throws<InvalidDataException>(fun () -> Idx.read path |> ignore)
    File.Delete path
    Assert.Contains("more decompressed bytes follow", e.Message)

[<Fact>]
let ``a gzip file cut inside its trailer is refused`` () =
    let path = temp () + ".gz"
    let whole = gzip (valid ())
    File.WriteAllBytes(path, whole[.. whole.Length - 3])
    let e = Assert.Throws<InvalidDataException>(fun () -> Idx.read path |> ignore)
    File.Delete path
    Assert.Contains("gzip trailer", e.Message)

[<Fact>]
let ``a gzip file declaring more than it can hold is refused without inflating it`` () =
    let path = temp () + ".gz"
    File.WriteAllBytes(path, gzip [| 0uy; 0uy; 8uy; 1uy; 0x10uy; 0uy; 0uy; 0uy |])
    let e = Assert.Throws<InvalidDataException>(fun () -> Idx.read path |> ignore)
    File.Delete path
    Assert.Contains("more than a gzip file", e.Message)

[<Fact>]
let ``a directory, a device and a FIFO are named, without blocking or reading forever`` () =
    let folder = temp ()
    Directory.CreateDirectory folder |> ignore

    Assert.Contains(
        "is a directory",
        (Assert.Throws<InvalidDataException>(fun () -> Idx.read folder |> ignore)).Message
    )

    Directory.Delete folder

    if OperatingSystem.IsLinux() then
        Assert.Contains(
            "character device",
            (Assert.Throws<InvalidDataException>(fun () -> Idx.read "/dev/zero" |> ignore)).Message
        )

        let fifo = temp ()

        match Diagnostics.Process.Start(Diagnostics.ProcessStartInfo("mkfifo", [| fifo |])) with
        | null -> failwith "mkfifo did not start"
        | mkfifo ->
            use mkfifo = mkfifo
            mkfifo.WaitForExit()


        let read =
            Threading.Tasks.Task.Run(fun () -> Assert.Throws<InvalidDataException>(fun () -> Idx.read fifo |> ignore))

        Assert.True(read.Wait(TimeSpan.FromSeconds 10.0), "reading a FIFO blocked")
        Assert.Contains("FIFO", read.Result.Message)
        File.Delete fifo
