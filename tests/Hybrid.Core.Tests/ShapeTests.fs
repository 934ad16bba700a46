module Hybrid.Core.Tests.ShapeTests

open System
open Xunit
open Hybrid.Core

[<Fact>]
let ``broadcast repeats dimensions of size one`` () =
    Assert.Equal(Shape.create 4 3, Shape.broadcast "t" (Shape.create 4 3) (Shape.create 1 3))
    Assert.Equal(Shape.create 4 3, Shape.broadcast "t" (Shape.create 4 1) (Shape.create 1 3))
    Assert.Equal(Shape.create 2 2, Shape.broadcast "t" Shape.scalar (Shape.create 2 2))

[<Fact>]
let ``broadcast of unequal dimensions names the op and both shapes`` () =
    let e =
        Assert.Throws<ShapeMismatchException>(fun () ->
            Shape.broadcast "add" (Shape.create 2 3) (Shape.create 3 2) |> ignore)

    Assert.Equal("add", e.Op)
    Assert.Contains("add", e.Message)
    Assert.Contains("2×3", e.Message)
    Assert.Contains("3×2", e.Message)

[<Fact>]
let ``a shape needs at least one row and column`` () =
    Assert.Throws<ArgumentException>(fun () -> Shape.create 0 3 |> ignore) |> ignore
