namespace Hybrid.Core

open System

/// Marks a method that runs every batch, to be compiled optimised from its first call. The F# compiler keeps
/// NoInlining and AggressiveInlining of MethodImplOptions but drops AggressiveOptimization, so under tiered
/// compilation (on in every application but the hybrid command) such a method ran its loops and generic arithmetic
/// unoptimised for the first hundreds of batches. After each compilation, AggressiveOptimization.targets sets the
/// AggressiveOptimization flag on every method carrying this attribute (a core test checks that it is set).
[<AttributeUsage(AttributeTargets.Method, AllowMultiple = false); Sealed>]
type internal OptimizedFromFirstCallAttribute() =
    inherit Attribute()
