module Hybrid.Core.Tests.IdxTests

open System
open System.IO
open System.IO.Compression
open Expecto
open Hybrid.Core

let private temp () =
    Path.Combine(Path.GetTempPath(), $"hybrid-idx-{Guid.NewGuid():N}")

let private sample =
    {
        Dimensions = [| 3; 2; 2 |]
        Data = Array.init 12 byte
    }

let private corrupted (bytes: byte[]) =
    let path = temp ()
    File.WriteAllBytes(path, bytes)

    let e =
        Expect.throwsExactly<InvalidDataException>(fun () -> Idx.read path |> ignore)

    File.Delete path
    Expect.stringContains e.Message path "the message names the file"
    e.Message

let private valid () =
    let path = temp ()
    Idx.write path sample
    let bytes = File.ReadAllBytes path
    File.Delete path
    bytes

let private gzip (bytes: byte[]) =
    use output = new MemoryStream()

    using (new GZipStream(output, CompressionLevel.Fastest, true)) (fun z -> z.Write(bytes, 0, bytes.Length))

    output.ToArray()

[<Tests>]
let tests =
    testList
        "Idx"
        [
            testCase "an IDX file reads back what was written" (fun () ->
                let path = temp ()
                Idx.write path sample
                let back = Idx.read path
                Expect.equal back.Dimensions sample.Dimensions "dimensions"
                Expect.equal back.Data sample.Data "data"
                File.Delete path)

            testCase "a gzip-compressed IDX file is read too" (fun () ->
                let raw = temp ()
                Idx.write raw sample
                let gz = raw + ".gz"

                using (new GZipStream(File.Create gz, CompressionLevel.Optimal)) (fun z ->
                    let bytes = File.ReadAllBytes raw
                    z.Write(bytes, 0, bytes.Length))

                Expect.equal (Idx.read gz).Data sample.Data "data"
                File.Delete raw
                File.Delete gz)

            testCase "a truncated IDX file names the file and how many bytes are missing" (fun () ->
                let bytes = valid ()
                let message = corrupted bytes[.. bytes.Length - 4]
                Expect.stringContains message "truncated" "truncated"
                Expect.stringContains message "12 bytes of data, but only 9" "how many bytes are missing")

            testCase "a file cut inside its header is truncated" (fun () ->
                let bytes = valid ()
                Expect.stringContains (corrupted bytes[..6]) "truncated" "truncated")

            testCase "a wrong magic number is named" (fun () ->
                let bytes = valid ()
                bytes[0] <- 0x50uy
                Expect.stringContains (corrupted bytes) "magic number" "the magic number")

            testCase "an unsupported element type is named" (fun () ->
                let bytes = valid ()
                bytes[2] <- 0x0Duy
                Expect.stringContains (corrupted bytes) "element type 0x0d" "the element type")

            testCase "extra bytes after the data are corrupt" (fun () ->
                Expect.stringContains (corrupted (Array.append (valid ()) [| 1uy |])) "corrupt" "corrupt")

            testCase "a missing file names its path" (fun () ->
                let path = temp ()

                let e =
                    Expect.throwsExactly<FileNotFoundException>(fun () -> Idx.read path |> ignore)

                Expect.stringContains e.Message path "the path")

            testCase
                "dimensions of 2^31 and more, or whose product overflows, are named before anything is allocated"
                (fun () ->
                    let header (dims: uint32[]) =
                        [|
                            yield! [| 0uy; 0uy; 0x08uy; byte dims.Length |]
                            for d in dims do
                                yield! [| byte (d >>> 24); byte (d >>> 16); byte (d >>> 8); byte d |]
                        |]

                    Expect.stringContains (corrupted (header [| 0x80000000u |])) "must be in [1, 2147483647]" "2^31"

                    Expect.stringContains
                        (corrupted (header (Array.create 4 0x7fffffffu)))
                        "overflows 64 bits"
                        "overflow"

                    Expect.stringContains (corrupted (header [| 60000u; 28u; 28u |])) "truncated" "no data")

            testCase "a gzip bomb is refused once the declared size is passed" (fun () ->
                let path = temp () + ".gz"
                File.WriteAllBytes(path, Array.append (gzip (valid ())) (gzip (Array.zeroCreate (32 <<< 20))))

                let e =
                    Expect.throwsExactly<InvalidDataException>(fun () -> Idx.read path |> ignore)

                File.Delete path
                Expect.stringContains e.Message "more decompressed bytes follow" "the bomb is named")

            testCase "a gzip file cut inside its trailer is refused" (fun () ->
                let path = temp () + ".gz"
                let whole = gzip (valid ())
                File.WriteAllBytes(path, whole[.. whole.Length - 3])

                let e =
                    Expect.throwsExactly<InvalidDataException>(fun () -> Idx.read path |> ignore)

                File.Delete path
                Expect.stringContains e.Message "gzip trailer" "the trailer is named")

            testCase "a gzip file declaring more than it can hold is refused without inflating it" (fun () ->
                let path = temp () + ".gz"
                File.WriteAllBytes(path, gzip [| 0uy; 0uy; 8uy; 1uy; 0x10uy; 0uy; 0uy; 0uy |])

                let e =
                    Expect.throwsExactly<InvalidDataException>(fun () -> Idx.read path |> ignore)

                File.Delete path
                Expect.stringContains e.Message "more than a gzip file" "the impossible size is named")

            testCase "a directory, a device and a FIFO are named, without blocking or reading forever" (fun () ->
                let folder = temp ()
                Directory.CreateDirectory folder |> ignore

                Expect.stringContains
                    (Expect.throwsExactly<InvalidDataException>(fun () -> Idx.read folder |> ignore)).Message
                    "is a directory"
                    "a directory"

                Directory.Delete folder

                if OperatingSystem.IsLinux() then
                    Expect.stringContains
                        (Expect.throwsExactly<InvalidDataException>(fun () -> Idx.read "/dev/zero" |> ignore)).Message
                        "character device"
                        "a device"

                    let fifo = temp ()

                    match Diagnostics.Process.Start(Diagnostics.ProcessStartInfo("mkfifo", [| fifo |])) with
                    | null -> failwith "mkfifo did not start"
                    | mkfifo ->
                        use mkfifo = mkfifo
                        mkfifo.WaitForExit()

                    let read =
                        Threading.Tasks.Task.Run(fun () ->
                            Expect.throwsExactly<InvalidDataException>(fun () -> Idx.read fifo |> ignore))

                    Expect.isTrue (read.Wait(TimeSpan.FromSeconds 10.0)) "reading a FIFO blocked"
                    Expect.stringContains read.Result.Message "FIFO" "a FIFO"
                    File.Delete fifo)
        ]
