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
        ]
