/// Two expectations Expecto lacks, with the meaning the suite's assertions had under xunit: floats equal to a
/// number of decimal places, and an exception of exactly one type, handed back so its message can be checked.
[<AutoOpen>]
module Hybrid.Core.Tests.Expectations

open System
open Expecto

// A module named Expect beside Expecto's: F# searches both, so Expect.equal and Expect.throwsExactly read alike.
module Expect =
    /// actual and expected agree when both are rounded to `digits` decimal places (xunit's
    /// Assert.Equal(expected, actual, precision), which the example tests were written against).
    let equalDigits (digits: int) (actual: float) (expected: float) (message: string) =
        let a, e = Math.Round(actual, digits), Math.Round(expected, digits)

        if a <> e then
            failtestf
                "%s. Expected %s, got %s (rounded to %d digits: %s against %s)."
                message
                (expected.ToString "R")
                (actual.ToString "R")
                digits
                (e.ToString "R")
                (a.ToString "R")

    /// f throws an exception of exactly the type 'e (a subclass does not count, as with xunit's Assert.Throws);
    /// returns it, so the caller can check what it says.
    let throwsExactly<'e when 'e :> exn> (f: unit -> unit) : 'e =
        let thrown =
            try
                f ()
                None
            with e ->
                Some e

        match thrown with
        | Some(:? 'e as e) when e.GetType() = typeof<'e> -> e
        | Some e -> failtestf "Expected %s, but %s was thrown: %s" typeof<'e>.Name (e.GetType().Name) e.Message
        | None -> failtestf "Expected %s, but nothing was thrown." typeof<'e>.Name
