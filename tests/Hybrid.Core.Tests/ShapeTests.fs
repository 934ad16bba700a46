module Hybrid.Core.Tests.ShapeTests

open System
open Expecto
open Hybrid.Core

[<Tests>]
let tests =
    testList
        "Shape"
        [
            testCase "broadcast repeats dimensions of size one" (fun () ->
                Expect.equal
                    (Shape.broadcast "t" (Shape.create 4 3) (Shape.create 1 3))
                    (Shape.create 4 3)
                    "4×3 with 1×3"

                Expect.equal
                    (Shape.broadcast "t" (Shape.create 4 1) (Shape.create 1 3))
                    (Shape.create 4 3)
                    "4×1 with 1×3"

                Expect.equal (Shape.broadcast "t" Shape.scalar (Shape.create 2 2)) (Shape.create 2 2) "1×1 with 2×2")

            testCase "broadcast of unequal dimensions names the op and both shapes" (fun () ->
                let e =
                    Expect.throwsExactly<ShapeMismatchException>(fun () ->
                        Shape.broadcast "add" (Shape.create 2 3) (Shape.create 3 2) |> ignore)

                Expect.equal e.Op "add" "the op"
                Expect.stringContains e.Message "add" "the message names the op"
                Expect.stringContains e.Message "2×3" "the message names the left shape"
                Expect.stringContains e.Message "3×2" "the message names the right shape")

            testCase "a shape needs at least one row and column" (fun () ->
                Expect.throwsExactly<ArgumentException>(fun () -> Shape.create 0 3 |> ignore)
                |> ignore)
        ]
