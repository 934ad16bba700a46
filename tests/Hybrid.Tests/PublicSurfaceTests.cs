using System.Reflection;

namespace Hybrid.Tests;

/// <summary>The façade is C#-native: no F# type appears in any public signature.</summary>
public class PublicSurfaceTests
{
    static IEnumerable<Type> Mentioned(Type t)
    {
        yield return t;
        if (t.HasElementType)
            foreach (var e in Mentioned(t.GetElementType()!)) yield return e;
        if (t.IsGenericType)
            foreach (var a in t.GetGenericArguments())
                foreach (var e in Mentioned(a)) yield return e;
    }

    static IEnumerable<(string Where, Type Type)> Signatures(Type type)
    {
        const BindingFlags Public = BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        if (type.BaseType is { } b) yield return ($"{type} base", b);
        foreach (var i in type.GetInterfaces()) yield return ($"{type} interface", i);
        foreach (var m in type.GetMethods(Public))
        {
            yield return ($"{type}.{m.Name} return", m.ReturnType);
            foreach (var p in m.GetParameters()) yield return ($"{type}.{m.Name}({p.Name})", p.ParameterType);
        }
        foreach (var c in type.GetConstructors(Public))
            foreach (var p in c.GetParameters()) yield return ($"{type}..ctor({p.Name})", p.ParameterType);
        foreach (var p in type.GetProperties(Public)) yield return ($"{type}.{p.Name}", p.PropertyType);
        foreach (var f in type.GetFields(Public)) yield return ($"{type}.{f.Name}", f.FieldType);
        foreach (var e in type.GetEvents(Public)) yield return ($"{type}.{e.Name}", e.EventHandlerType!);
    }

    [Fact]
    public void No_public_signature_of_the_facade_mentions_an_FSharp_type()
    {
        var facade = typeof(Autograd.Variable).Assembly;
        var offenders = facade.GetExportedTypes()
            .SelectMany(Signatures)
            .Where(s => Mentioned(s.Type).Any(t => t.Namespace?.StartsWith("Microsoft.FSharp", StringComparison.Ordinal) == true))
            .Select(s => $"{s.Where}: {s.Type}")
            .ToList();
        Assert.True(facade.GetExportedTypes().Length > 3);
        Assert.Empty(offenders);
    }

    /// <summary>A type's name as a user types it: no generic arity, and an F# module without the "Module" suffix the
    /// compiler adds when a type of the same name exists.</summary>
    static string UserName(Type t)
    {
        var name = t.Name;
        if (name.IndexOf('`') is var tick and >= 0) name = name[..tick];
        if (t is { IsAbstract: true, IsSealed: true } && name.EndsWith("Module", StringComparison.Ordinal) && name.Length > 6) name = name[..^6];
        return name;
    }

    [Fact]
    public void No_type_of_the_facade_shares_its_name_with_a_type_or_module_of_the_core()
    {
        // A C# user opens Hybrid, an F# page opens Hybrid.Core, often both: one name must mean one thing. Compared
        // case-insensitively (GradCheck and Gradcheck would meet in VB, and in a reader's head).
        var facade = typeof(Autograd.Variable).Assembly.GetExportedTypes().Where(t => !t.IsNested);
        var core = typeof(Core.Graph).Assembly.GetExportedTypes().Where(t => !t.IsNested)
            .ToLookup(t => UserName(t), StringComparer.OrdinalIgnoreCase);
        var clashes = facade
            .Where(t => core.Contains(UserName(t)))
            .Select(t => $"{t.FullName} and {string.Join(", ", core[UserName(t)].Select(c => c.FullName))}")
            .ToList();
        Assert.Empty(clashes);
    }
}
