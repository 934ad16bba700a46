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
