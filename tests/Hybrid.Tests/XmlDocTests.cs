using System.Reflection;
using System.Runtime.CompilerServices;
using System.Xml.Linq;

namespace Hybrid.Tests;

/// <summary>Every public type and member of the façade and the core carries an XML doc summary (the API reference is made from them).</summary>
public class XmlDocTests
{
    const BindingFlags Declared = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    // The documentation of an assembly: member id → whether it has a non-empty summary (or inherits one).
    static Dictionary<string, XElement> Docs(Assembly assembly)
    {
        var path = Path.ChangeExtension(assembly.Location, ".xml");
        Assert.True(File.Exists(path), $"{path} is missing: the project must generate its XML documentation");
        return XDocument.Load(path).Descendants("member").GroupBy(m => (string)m.Attribute("name")!).ToDictionary(g => g.Key, g => g.First());
    }

    static bool Documented(XElement? member) =>
        member is not null &&
        (member.Element("inheritdoc") is not null || member.Element("summary") is { } s && !string.IsNullOrWhiteSpace(s.Value));

    static string Id(Type t) => (t.FullName ?? t.Name).Replace('+', '.');

    static bool Visible(MethodBase m) => m.IsPublic || m.IsFamily || m.IsFamilyOrAssembly;

    static bool Generated(MemberInfo m) =>
        m.IsDefined(typeof(CompilerGeneratedAttribute), false) || m.Name.Contains('<') ||
        // The constants F# writes for the cases of a union.
        m is Type { Name: "Tags", DeclaringType: { } union } && union.IsDefined(typeof(Microsoft.FSharp.Core.CompilationMappingAttribute), false) ||
        // F#'s structural equality and comparison, written by the compiler for records and unions.
        m.Name is "Equals" or "GetHashCode" or "CompareTo" && m.DeclaringType!.IsDefined(typeof(Microsoft.FSharp.Core.CompilationMappingAttribute), false);

    /// <summary>Undocumented public types and members of an assembly, as "kind Type.Member".</summary>
    static List<string> Undocumented(Assembly assembly)
    {
        var docs = Docs(assembly);
        var missing = new List<string>();
        foreach (var type in assembly.GetExportedTypes().Where(t => !Generated(t)))
        {
            var typeId = Id(type);
            if (!Documented(docs.GetValueOrDefault("T:" + typeId))) missing.Add($"type {typeId}");
            // A C# record's positional properties are documented by the <param> tags of the type.
            var parameters = docs.GetValueOrDefault("T:" + typeId)?.Elements("param").Select(p => (string)p.Attribute("name")!).ToHashSet() ?? [];

            bool Has(string prefix, string name, int overloads) =>
                docs.Where(d => Documented(d.Value) && (d.Key == $"{prefix}:{typeId}.{name}" || d.Key.StartsWith($"{prefix}:{typeId}.{name}(", StringComparison.Ordinal) ||
                                                         d.Key.StartsWith($"{prefix}:{typeId}.{name}``", StringComparison.Ordinal) || d.Key.StartsWith($"{prefix}:{typeId}.{name}~", StringComparison.Ordinal)))
                    .Count() >= overloads;

            var methods = type.GetMethods(Declared).Where(m => Visible(m) && !Generated(m) && !(m.IsSpecialName && !m.Name.StartsWith("op_", StringComparison.Ordinal)));
            foreach (var group in methods.GroupBy(m => m.Name))
                if (!Has("M", group.Key, group.Count())) missing.Add($"method {typeId}.{group.Key}");
            var constructors = type.GetConstructors(Declared).Where(c => Visible(c) && !Generated(c)).ToArray();
            // A type's only constructor (F#'s primary constructor, a record's, a C# primary constructor) is
            // documented by the type's summary; several constructors each need their own.
            if (constructors.Length > 1 && !Has("M", "#ctor", constructors.Length))
                missing.Add($"constructors {typeId}");
            foreach (var p in type.GetProperties(Declared).Where(p => (p.GetMethod ?? p.SetMethod) is { } a && Visible(a) && !Generated(p) && !Generated(a)))
                if (!Has("P", p.Name, 1) && !parameters.Contains(p.Name)) missing.Add($"property {typeId}.{p.Name}");
            foreach (var f in type.GetFields(Declared).Where(f => (f.IsPublic || f.IsFamily) && !f.IsSpecialName && !Generated(f)))
                if (!Has("F", f.Name, 1)) missing.Add($"field {typeId}.{f.Name}");
            // An F# union's cases: F# writes a case's summary under T:Union.Case.
            if (Microsoft.FSharp.Reflection.FSharpType.IsUnion(type, null) && !type.IsNested)
                foreach (var c in Microsoft.FSharp.Reflection.FSharpType.GetUnionCases(type, null))
                    if (!Documented(docs.GetValueOrDefault($"T:{typeId}.{c.Name}"))) missing.Add($"union case {typeId}.{c.Name}");
            foreach (var e in type.GetEvents(Declared).Where(e => e.AddMethod is { } a && Visible(a)))
                if (!Has("E", e.Name, 1)) missing.Add($"event {typeId}.{e.Name}");
        }

        return missing;
    }

    [Fact]
    public void Every_public_type_and_member_of_the_facade_has_a_summary()
    {
        var missing = Undocumented(typeof(Network).Assembly);
        Assert.True(missing.Count == 0, $"{missing.Count} undocumented:\n" + string.Join("\n", missing));
    }

    [Fact]
    public void Every_public_type_and_member_of_the_core_has_a_summary()
    {
        var missing = Undocumented(typeof(Core.Graph).Assembly);
        Assert.True(missing.Count == 0, $"{missing.Count} undocumented:\n" + string.Join("\n", missing));
    }
}
