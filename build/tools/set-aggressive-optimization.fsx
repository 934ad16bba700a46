/// dotnet fsi build/tools/set-aggressive-optimization.fsx ASSEMBLY ATTRIBUTE
///
/// Sets MethodImplOptions.AggressiveOptimization (0x200) in ASSEMBLY on every method that carries the attribute
/// type named ATTRIBUTE (defined in that assembly). The F# compiler drops that flag from [<MethodImpl>] (it keeps
/// NoInlining and AggressiveInlining); src/Hybrid.Core/AggressiveOptimization.targets runs this after CoreCompile.
/// Only each marked method's ImplFlags field (MethodDef row: RVA, 4 bytes, then ImplFlags, 2 bytes) is rewritten,
/// in place; setting a flag already set changes nothing. Exit 1 when no method carries the attribute.
open System.IO
open System.Reflection.Metadata
open System.Reflection.Metadata.Ecma335
open System.Reflection.PortableExecutable

let assembly, attribute =
    match fsi.CommandLineArgs with
    | [| _; a; b |] -> a, b
    | _ -> failwith "usage: set-aggressive-optimization.fsx ASSEMBLY ATTRIBUTE"

let marked =
    use stream = File.OpenRead assembly
    use pe = new PEReader(stream)
    let md = pe.GetMetadataReader()

    let table =
        int64 pe.PEHeaders.MetadataStartOffset
        + int64 (md.GetTableMetadataOffset TableIndex.MethodDef)

    let rowSize = int64 (md.GetTableRowSize TableIndex.MethodDef)

    [
        for handle in md.MethodDefinitions do
            let methodDef = md.GetMethodDefinition handle

            let isMarked =
                methodDef.GetCustomAttributes()
                |> Seq.exists (fun ca ->
                    let constructor = md.GetCustomAttribute(ca).Constructor

                    constructor.Kind = HandleKind.MethodDefinition
                    && (let ctor = md.GetMethodDefinition(MethodDefinitionHandle.op_Explicit constructor)
                        md.GetString(md.GetTypeDefinition(ctor.GetDeclaringType()).Name) = attribute))

            if isMarked then
                let owner = md.GetString(md.GetTypeDefinition(methodDef.GetDeclaringType()).Name)

                table + int64 (MetadataTokens.GetRowNumber handle - 1) * rowSize + 4L,
                $"{owner}.{md.GetString methodDef.Name}"
    ]

if marked.IsEmpty then
    eprintfn $"{assembly}: no method carries {attribute}; its hot methods would start unoptimised"
    exit 1

do
    use file = new FileStream(assembly, FileMode.Open, FileAccess.ReadWrite)
    let flags = Array.zeroCreate<byte> 2

    for offset, _ in marked do
        file.Position <- offset

        if file.Read(flags, 0, 2) <> 2 then
            failwith $"{assembly}: the metadata ends inside a method row"

        flags[1] <- flags[1] ||| 0x02uy // 0x0200, little-endian
        file.Position <- offset
        file.Write(flags, 0, 2)

printfn "AggressiveOptimization set on %s" (marked |> List.map snd |> String.concat ", ")
