(**
---
title: C# API (signatures)
category: API reference
categoryindex: 4
index: 0
---
*)
(*** hide ***)
#load "../tests/Hybrid.Examples/References.fsx"
(**
# The C# API, in C#

The [API reference](reference/index.html) is written by fsdocs, which shows every member in F# syntax and leaves out
the default values of optional parameters. This page lists the same public types of the `Hybrid` assembly (the C#
façade) as C# declares them: parameter defaults (`int epochs = 1`), `params`, `out`, nullable annotations (`?`),
each with the summary of its XML documentation (a member written with `<inheritdoc/>` shows the summary of the
member it overrides or implements, MathNet's interfaces included). It is generated while the site is built, by reflection over the
compiled `Hybrid.dll` and its `Hybrid.xml` (`CSharpApi.Html` in `tests/Hybrid.Examples`), so it cannot drift from
the code. The longer remarks, exceptions and examples are in the API reference.
*)
(*** hide ***)
Hybrid.Examples.CSharpApi.Html(typeof<Hybrid.Model>.Assembly)
(*** include-it-raw ***)
