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
}
