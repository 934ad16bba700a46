using System.Globalization;
using System.Net;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace Hybrid.Examples;

/// <summary>
/// The C# API reference: every public type and member of an assembly written as C# declares it (parameter
/// defaults, <c>params</c>, <c>ref</c>/<c>out</c>, nullable annotations), each with the summary of its XML
/// documentation. fsdocs writes the reference in F# syntax and drops the defaults; a C# reader needs these.
/// </summary>
public static class CSharpApi
{
    /// <summary>The reference of <paramref name="assembly"/> as HTML: a section per namespace, one per type.</summary>
    /// <param name="assembly">The assembly (its XML documentation file must lie beside it).</param>
    public static string Html(Assembly assembly)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        var docs = Docs.Load(Path.ChangeExtension(assembly.Location, ".xml"));
        var types = assembly.GetExportedTypes().OrderBy(t => t.Namespace, StringComparer.Ordinal)
            .ThenBy(Name, StringComparer.Ordinal).ToArray();
        var b = new StringBuilder();
        b.Append("<ul class=\"csharp-api-namespaces\">\n");
        foreach (var ns in types.GroupBy(t => t.Namespace ?? ""))
            b.Append($"<li><a href=\"#{Anchor(ns.Key)}\">{Encode(ns.Key)}</a> ({ns.Count()} types)</li>\n");
        b.Append("</ul>\n");
        foreach (var ns in types.GroupBy(t => t.Namespace ?? ""))
        {
            b.Append($"<h2 id=\"{Anchor(ns.Key)}\">namespace {Encode(ns.Key)}</h2>\n");
            foreach (var type in ns) Entry(b, type, docs);
        }

        return b.ToString();
    }

    /// <summary>The anchor of a type's entry on the page (its full name, generic arity kept): <c>Hybrid.Model</c>.</summary>
    public static string Anchor(string fullName) => fullName.Replace('+', '.').Replace('`', '-');

    /// <summary>A member's declaration in C#, on one line (the page breaks long parameter lists).</summary>
    public static string Declaration(MemberInfo member) => Declare(member, null).Replace("\n    ", " ").Replace("(\n", "(").Replace("\n)", ")");

    static void Entry(StringBuilder b, Type type, Docs docs)
    {
        b.Append($"<section class=\"csharp-api-type\" id=\"{Anchor(type.FullName!)}\">\n");
        b.Append($"<h3>{Encode(Kind(type))} {Encode(Name(type))}</h3>\n");
        b.Append(Summary(docs.Summary(type)));
        b.Append(Snippet.Block(TypeDeclaration(type)));
        var members = Members(type).ToArray();
        if (members.Length > 0)
        {
            b.Append("<dl class=\"csharp-api-members\">\n");
            foreach (var m in members)
                b.Append("<dt>").Append(Snippet.Block(Declare(m, type))).Append("</dt>\n<dd>")
                    .Append(Summary(docs.Summary(m))).Append("</dd>\n");
            b.Append("</dl>\n");
        }

        b.Append("</section>\n");
    }

    // Public and protected members declared on the type itself, as C# shows them: no accessors, no compiler-made
    // members (a record's EqualityContract, <Clone>$), enum values in their order, the rest by kind and name.
    static IEnumerable<MemberInfo> Members(Type type)
    {
        const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        if (type.IsEnum) return type.GetFields(BindingFlags.Public | BindingFlags.Static).OrderBy(f => Convert.ToInt64(f.GetRawConstantValue(), CultureInfo.InvariantCulture));
        if (typeof(Delegate).IsAssignableFrom(type)) return [];
        return type.GetMembers(all)
            .Where(Visible)
            .Where(m => m is not MethodBase mb || !mb.IsSpecialName || mb is ConstructorInfo || mb.Name.StartsWith("op_", StringComparison.Ordinal))
            .Where(m => m.GetCustomAttribute<CompilerGeneratedAttribute>() is null && !m.Name.Contains('<') && m.Name != "EqualityContract")
            .Where(m => m is not Type)
            .OrderBy(m => m switch { ConstructorInfo => 0, FieldInfo => 1, PropertyInfo => 2, EventInfo => 3, _ => 4 })
            .ThenBy(m => m.Name, StringComparer.Ordinal)
            .ThenBy(m => m is MethodBase mb ? mb.GetParameters().Length : 0)
            .ThenBy(m => Declaration(m), StringComparer.Ordinal);
    }

    static bool Visible(MemberInfo m) => m switch
    {
        MethodBase mb => mb.IsPublic || mb.IsFamily || mb.IsFamilyOrAssembly,
        FieldInfo f => f.IsPublic || f.IsFamily || f.IsFamilyOrAssembly,
        PropertyInfo p => p.GetAccessors(true).Any(a => a.IsPublic || a.IsFamily || a.IsFamilyOrAssembly),
        EventInfo e => e.AddMethod is { } add && (add.IsPublic || add.IsFamily),
        _ => false,
    };

    static string Kind(Type t) =>
        t.IsEnum ? "enum" : t.IsInterface ? "interface" : typeof(Delegate).IsAssignableFrom(t) ? "delegate"
        : IsRecord(t) ? (t.IsValueType ? "record struct" : "record") : t.IsValueType ? "struct" : "class";

    static bool IsRecord(Type t) => t.GetMethod("<Clone>$") is not null
        || (t.IsValueType && t.GetMethod("PrintMembers", BindingFlags.NonPublic | BindingFlags.Instance) is not null);

    static string TypeDeclaration(Type t)
    {
        var modifiers = new List<string> { "public" };
        if (t.IsClass && !typeof(Delegate).IsAssignableFrom(t))
        {
            if (t.IsAbstract && t.IsSealed) modifiers.Add("static");
            else if (t.IsAbstract) modifiers.Add("abstract");
            else if (t.IsSealed) modifiers.Add("sealed");
        }

        if (typeof(Delegate).IsAssignableFrom(t))
        {
            var invoke = t.GetMethod("Invoke")!;
            return $"public delegate {TypeName(invoke.ReturnParameter, invoke.ReturnType)} {Name(t)}({Parameters(invoke, false)});";
        }

        var bases = new List<string>();
        if (t.IsEnum)
        {
            var underlying = Enum.GetUnderlyingType(t);
            if (underlying != typeof(int)) bases.Add(TypeName(null, underlying));
        }
        else
        {
            if (t.BaseType is { } bt && bt != typeof(object) && bt != typeof(ValueType)) bases.Add(TypeName(null, bt));
            var inherited = t.BaseType?.GetInterfaces() ?? [];
            bases.AddRange(t.GetInterfaces()
                .Where(i => (i.IsPublic || i.IsNestedPublic) && !inherited.Contains(i))
                .Where(i => !(IsRecord(t) && i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEquatable<>)))
                .Distinct().Select(i => TypeName(null, i)).OrderBy(s => s, StringComparer.Ordinal));
        }

        var head = $"{string.Join(' ', modifiers)} {Kind(t)} {Name(t)}";
        return bases.Count == 0 ? head : $"{head} : {string.Join(", ", bases)}";
    }

    static string Declare(MemberInfo m, Type? owner)
    {
        switch (m)
        {
            case FieldInfo f when f.DeclaringType!.IsEnum:
                return $"{f.Name} = {Convert.ToInt64(f.GetRawConstantValue(), CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture)}";
            case FieldInfo f:
            {
                var mods = Access(f.IsPublic) + (f.IsLiteral ? " const" : f.IsStatic ? " static" : "") + (f.IsInitOnly ? " readonly" : "");
                var value = f.IsLiteral ? " = " + Literal(f.GetRawConstantValue(), f.FieldType) : "";
                return $"{mods} {TypeName(f, f.FieldType)} {f.Name}{value};";
            }
            case PropertyInfo p:
            {
                var get = p.GetMethod is { } g && (g.IsPublic || g.IsFamily) ? g : null;
                var set = p.SetMethod is { } s && (s.IsPublic || s.IsFamily) ? s : null;
                var any = (get ?? set)!;
                var accessors = new List<string>();
                if (get is not null) accessors.Add("get;");
                if (set is not null)
                    accessors.Add(set.ReturnParameter.GetRequiredCustomModifiers().Any(c => c == typeof(IsExternalInit)) ? "init;" : "set;");
                var index = p.GetIndexParameters();
                var name = index.Length == 0 ? p.Name : $"this[{string.Join(", ", index.Select(Parameter))}]";
                return $"{Access(any.IsPublic)}{Modifiers(any)} {TypeName(p, p.PropertyType)} {name} {{ {string.Join(' ', accessors)} }}";
            }
            case EventInfo e:
                return $"{Access(e.AddMethod!.IsPublic)}{Modifiers(e.AddMethod)} event {TypeName(null, e.EventHandlerType!)} {e.Name};";
            case ConstructorInfo c:
                return $"{Access(c.IsPublic)} {Name(c.DeclaringType!, bare: true)}({Parameters(c, true)});";
            case MethodInfo method:
            {
                var generic = method.IsGenericMethodDefinition ? $"<{string.Join(", ", method.GetGenericArguments().Select(a => a.Name))}>" : "";
                var returns = TypeName(method.ReturnParameter, method.ReturnType);
                string name = method.Name switch
                {
                    "op_Implicit" => $"implicit operator {returns}",
                    "op_Explicit" => $"explicit operator {returns}",
                    _ when method.Name.StartsWith("op_", StringComparison.Ordinal) => $"{returns} operator {Operator(method.Name)}",
                    _ => $"{returns} {method.Name}{generic}",
                };
                var constraints = method.IsGenericMethodDefinition ? Constraints(method.GetGenericArguments()) : "";
                return $"{Access(method.IsPublic)}{Modifiers(method)} {name}({Parameters(method, true)}){constraints};";
            }
            default:
                throw new ArgumentException($"CSharpApi: {owner?.FullName}.{m.Name} is a {m.MemberType}, which the page does not show.", nameof(m));
        }
    }

    // where T : struct, IFloatingPointIeee754<T>
    static string Constraints(Type[] arguments)
    {
        var b = new StringBuilder();
        foreach (var a in arguments)
        {
            var parts = new List<string>();
            var flags = a.GenericParameterAttributes;
            if (flags.HasFlag(GenericParameterAttributes.NotNullableValueTypeConstraint)) parts.Add("struct");
            else if (flags.HasFlag(GenericParameterAttributes.ReferenceTypeConstraint)) parts.Add("class");
            parts.AddRange(a.GetGenericParameterConstraints().Where(c => c != typeof(ValueType)).Select(c => Write(c, null)));
            if (flags.HasFlag(GenericParameterAttributes.DefaultConstructorConstraint)
                && !flags.HasFlag(GenericParameterAttributes.NotNullableValueTypeConstraint)) parts.Add("new()");
            if (parts.Count > 0) b.Append($" where {a.Name} : {string.Join(", ", parts)}");
        }

        return b.ToString();
    }

    static string Access(bool isPublic) => isPublic ? "public" : "protected";

    static string Modifiers(MethodBase m)
    {
        if (m.IsStatic) return " static";
        if (m.DeclaringType!.IsInterface) return "";
        if (m.IsAbstract) return " abstract";
        if (m is MethodInfo mi && mi.IsVirtual && !m.IsFinal)
            return mi.GetBaseDefinition() != mi ? " override" : " virtual";
        if (m is MethodInfo sealedOverride && m.IsVirtual && m.IsFinal && sealedOverride.GetBaseDefinition() != sealedOverride
            && !sealedOverride.GetBaseDefinition().DeclaringType!.IsInterface)
            return " sealed override";
        return "";
    }

    // A list longer than one line of the page gets a parameter per line.
    static string Parameters(MethodBase m, bool breakLong)
    {
        var ps = m.GetParameters().Select(Parameter).ToArray();
        if (m.IsDefined(typeof(ExtensionAttribute)) && ps.Length > 0) ps[0] = "this " + ps[0];
        var flat = string.Join(", ", ps);
        return breakLong && flat.Length > 60 ? "\n    " + string.Join(",\n    ", ps) + "\n" : flat;
    }

    static string Parameter(ParameterInfo p)
    {
        var type = p.ParameterType;
        var prefix = "";
        if (type.IsByRef)
        {
            type = type.GetElementType()!;
            prefix = p.IsOut ? "out " : p.IsIn ? "in " : "ref ";
        }

        if (p.IsDefined(typeof(ParamArrayAttribute))) prefix = "params ";
        var text = $"{prefix}{TypeName(p, type)} {p.Name}";
        return p.HasDefaultValue ? $"{text} = {Literal(p.RawDefaultValue, type)}" : text;
    }

    static string Literal(object? value, Type type)
    {
        var underlying = Nullable.GetUnderlyingType(type) ?? type;
        return value switch
        {
            null or DBNull when type.IsValueType && Nullable.GetUnderlyingType(type) is null => "default",
            null or DBNull => "null",
            bool v => v ? "true" : "false",
            string s => "\"" + s.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"",
            char c => $"'{c}'",
            _ when underlying.IsEnum => EnumLiteral(underlying, value),
            double d => Number(d.ToString("R", CultureInfo.InvariantCulture), d),
            float f => Number(f.ToString("R", CultureInfo.InvariantCulture), f) + "f",
            decimal m => m.ToString(CultureInfo.InvariantCulture) + "m",
            long l => l.ToString(CultureInfo.InvariantCulture) + (underlying == typeof(long) ? "L" : ""),
            IFormattable n => n.ToString(null, CultureInfo.InvariantCulture),
            _ => value.ToString() ?? "null",
        };
    }

    // Doubles as C# source writes them: 0.5, 1e-08 as 1E-08, 10000 as 10000 (a whole double needs no ".0" after a
    // double parameter type).
    static string Number(string r, double value) =>
        double.IsPositiveInfinity(value) ? "double.PositiveInfinity"
        : double.IsNegativeInfinity(value) ? "double.NegativeInfinity"
        : double.IsNaN(value) ? "double.NaN" : r;

    static string EnumLiteral(Type type, object value)
    {
        var name = Enum.GetName(type, value);
        return name is null ? $"({Name(type)}){Convert.ToInt64(value, CultureInfo.InvariantCulture)}" : $"{Name(type)}.{name}";
    }

    static string Operator(string name) => name switch
    {
        "op_Addition" => "+", "op_Subtraction" => "-", "op_Multiply" => "*", "op_Division" => "/",
        "op_Modulus" => "%", "op_UnaryNegation" => "-", "op_UnaryPlus" => "+", "op_Equality" => "==",
        "op_Inequality" => "!=", "op_LessThan" => "<", "op_GreaterThan" => ">", "op_LessThanOrEqual" => "<=",
        "op_GreaterThanOrEqual" => ">=", "op_LogicalNot" => "!", "op_BitwiseAnd" => "&", "op_BitwiseOr" => "|",
        "op_ExclusiveOr" => "^", "op_OnesComplement" => "~",
        _ => name,
    };

    static readonly NullabilityInfoContext Nullability = new();

    // The type as C# writes it, with its nullable annotation (read from the member, field or parameter).
    static string TypeName(object? owner, Type type)
    {
        NullabilityInfo? info = owner switch
        {
            ParameterInfo p => Nullability.Create(p),
            PropertyInfo p => Nullability.Create(p),
            FieldInfo f => Nullability.Create(f),
            _ => null,
        };
        return Write(type, info);
    }

    static string Write(Type type, NullabilityInfo? info)
    {
        if (type.IsByRef) return Write(type.GetElementType()!, info?.ElementType ?? info);
        if (Nullable.GetUnderlyingType(type) is { } inner) return Write(inner, null) + "?";
        var nullable = info is not null && !type.IsValueType && info.ReadState == NullabilityState.Nullable ? "?" : "";
        if (type.IsArray)
            return Write(type.GetElementType()!, info?.ElementType) + "[" + new string(',', type.GetArrayRank() - 1) + "]" + nullable;
        if (type.IsGenericParameter) return type.Name + nullable;
        if (Keyword(type) is { } keyword) return keyword + nullable;
        if (type.IsGenericType)
        {
            var args = type.GetGenericArguments();
            var infos = info?.GenericTypeArguments;
            var written = args.Select((a, i) => Write(a, infos is { Length: > 0 } && i < infos.Length ? infos[i] : null)).ToArray();
            if (type.FullName?.StartsWith("System.ValueTuple`", StringComparison.Ordinal) == true
                || type.GetGenericTypeDefinition().FullName?.StartsWith("System.ValueTuple`", StringComparison.Ordinal) == true)
                return "(" + string.Join(", ", written) + ")" + nullable;
            return Name(type.GetGenericTypeDefinition(), bare: false, arguments: written) + nullable;
        }

        return Name(type) + nullable;
    }

    static string? Keyword(Type t) =>
        t == typeof(void) ? "void" : t == typeof(object) ? "object" : t == typeof(string) ? "string"
        : t == typeof(bool) ? "bool" : t == typeof(int) ? "int" : t == typeof(long) ? "long" : t == typeof(double) ? "double"
        : t == typeof(float) ? "float" : t == typeof(byte) ? "byte" : t == typeof(sbyte) ? "sbyte" : t == typeof(short) ? "short"
        : t == typeof(ushort) ? "ushort" : t == typeof(uint) ? "uint" : t == typeof(ulong) ? "ulong" : t == typeof(char) ? "char"
        : t == typeof(decimal) ? "decimal" : null;

    // A type's name without its arity: nested types with their outer type (Model.Options), generic parameters written.
    static string Name(Type t) => Name(t, bare: false);

    static string Name(Type t, bool bare, string[]? arguments = null)
    {
        var own = Regex.Replace(t.Name, "`\\d+$", "");
        var all = t.IsGenericType ? t.GetGenericArguments() : [];
        var outerCount = t.DeclaringType is { IsGenericType: true } d ? d.GetGenericArguments().Length : 0;
        var mine = all.Skip(outerCount).ToArray();
        var written = arguments is not null ? arguments.Skip(outerCount).ToArray() : mine.Select(a => a.Name).ToArray();
        if (!bare && mine.Length > 0) own += "<" + string.Join(", ", written) + ">";
        if (bare || t.DeclaringType is null) return own;
        var outer = t.DeclaringType;
        var outerArgs = arguments?.Take(outerCount).ToArray();
        return Name(outer, false, outerArgs) + "." + own;
    }

    static string Summary(string? html) => html is null ? "" : $"<p class=\"csharp-api-summary\">{html}</p>\n";

    static string Encode(string s) => WebUtility.HtmlEncode(s);

    /// <summary>
    /// The XML documentation files: summaries by documentation id, rendered as simple HTML. A member documented with
    /// <c>&lt;inheritdoc/&gt;</c> shows the summary of the member it overrides or implements, read from the XML file
    /// beside that member's assembly (Hybrid.Core's for its interfaces); where none is found (MathNet, the base
    /// library), it names that member.
    /// </summary>
    sealed class Docs(string path)
    {
        readonly Dictionary<string, Dictionary<string, XElement>?> files = new(StringComparer.Ordinal) { [path] = Read(path) };

        public static Docs Load(string path) =>
            File.Exists(path) ? new Docs(path)
            : throw new FileNotFoundException($"CSharpApi: the XML documentation {path} is missing (GenerateDocumentationFile).", path);

        static Dictionary<string, XElement>? Read(string path)
        {
            if (!File.Exists(path)) return null;
            var members = new Dictionary<string, XElement>(StringComparer.Ordinal);
            foreach (var m in XDocument.Load(path).Descendants("member"))
                if (m.Attribute("name")?.Value is { } name)
                    members[name] = m;
            return members;
        }

        XElement? Member(MemberInfo m)
        {
            var assembly = (m as Type ?? m.DeclaringType)?.Assembly;
            if (assembly is null || assembly.IsDynamic || assembly.Location.Length == 0) return null;
            var file = Path.ChangeExtension(assembly.Location, ".xml");
            if (!files.TryGetValue(file, out var members)) files[file] = members = Read(file);
            return members is not null && members.TryGetValue(DocId.Of(Definition(m)), out var e) ? e : null;
        }

        public string? Summary(MemberInfo m)
        {
            if (Member(m) is not { } member) return null;
            if (member.Element("summary") is { } summary) return Text(summary);
            if (member.Element("inheritdoc") is null) return null;
            // Up the chain of overridden and implemented members to the first with a summary; failing that, the
            // first member outside the documented assemblies is named.
            MemberInfo? outside = null;
            var pending = new Queue<MemberInfo>(Inherited(m));
            for (var seen = 0; pending.TryDequeue(out var source) && seen < 32; seen++)
            {
                var doc = Member(source);
                if (doc?.Element("summary") is { } inherited) return Text(inherited);
                if (doc?.Element("inheritdoc") is not null)
                    foreach (var next in Inherited(source)) pending.Enqueue(next);
                else if (doc is null) outside ??= source;
            }

            return outside is null ? null : $"As <code>{WebUtility.HtmlEncode(Write(outside.DeclaringType!, null) + "." + outside.Name)}</code>.";
        }

        static string Text(XElement summary) => Regex.Replace(Render(summary).Trim(), "\\s+", " ");

        /// <summary>The members <paramref name="m"/> overrides or implements, nearest first.</summary>
        static IEnumerable<MemberInfo> Inherited(MemberInfo m)
        {
            switch (m)
            {
                case MethodInfo method:
                    foreach (var x in InheritedMethods(method)) yield return x;
                    break;
                case PropertyInfo property when (property.GetMethod ?? property.SetMethod) is { } accessor:
                    foreach (var x in InheritedMethods(accessor))
                        if (x.DeclaringType!.GetProperty(property.Name, BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.DeclaredOnly) is { } p)
                            yield return p;
                    break;
            }
        }

        static IEnumerable<MethodInfo> InheritedMethods(MethodInfo method)
        {
            var type = method.DeclaringType!;
            for (var b = type.BaseType; b is not null && method.GetBaseDefinition().DeclaringType != type; b = b.BaseType)
            {
                var over = b.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.DeclaredOnly)
                    .FirstOrDefault(x => x.Name == method.Name && x.GetBaseDefinition() == method.GetBaseDefinition());
                if (over is not null) yield return over;
            }

            if (type.IsInterface) yield break;
            foreach (var i in type.GetInterfaces())
            {
                var map = type.GetInterfaceMap(i);
                var at = Array.IndexOf(map.TargetMethods, method);
                if (at >= 0) yield return map.InterfaceMethods[at];
            }
        }

        // A member of a constructed generic type (IKernels<float>.Gemm) as its definition (IKernels<T>.Gemm), whose id the XML file uses.
        static MemberInfo Definition(MemberInfo m) =>
            m.DeclaringType is { IsGenericType: true, IsGenericTypeDefinition: false } t && m is not Type
                ? t.GetGenericTypeDefinition().GetMembers(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly)
                    .First(x => x.MetadataToken == m.MetadataToken)
                : m;

        static string Render(XElement e)
        {
            var b = new StringBuilder();
            foreach (var node in e.Nodes())
                b.Append(node switch
                {
                    XText t => WebUtility.HtmlEncode(t.Value),
                    XElement { Name.LocalName: "c" } c => $"<code>{WebUtility.HtmlEncode(c.Value)}</code>",
                    XElement { Name.LocalName: "see" or "seealso" } s when s.Attribute("cref") is { } cref =>
                        $"<code>{WebUtility.HtmlEncode(Short(cref.Value))}</code>",
                    XElement { Name.LocalName: "see" } s when s.Attribute("langword") is { } word => $"<code>{WebUtility.HtmlEncode(word.Value)}</code>",
                    XElement { Name.LocalName: "see" } s when s.Attribute("href") is { } href => WebUtility.HtmlEncode(s.Value.Length > 0 ? s.Value : href.Value),
                    XElement { Name.LocalName: "paramref" or "typeparamref" } p => $"<code>{WebUtility.HtmlEncode(p.Attribute("name")?.Value ?? "")}</code>",
                    XElement { Name.LocalName: "para" } p => " " + Render(p) + " ",
                    XElement { Name.LocalName: "b" or "i" or "em" or "strong" } x => $"<{x.Name.LocalName}>{Render(x)}</{x.Name.LocalName}>",
                    XElement other => Render(other),
                    _ => "",
                });
            return b.ToString();
        }

        // "M:Hybrid.Model.Fit(Hybrid.Data.Dataset,System.Int32)" -> "Model.Fit"
        static string Short(string cref)
        {
            var name = cref.Length > 2 && cref[1] == ':' ? cref[2..] : cref;
            var paren = name.IndexOf('(');
            if (paren >= 0) name = name[..paren];
            name = Regex.Replace(name, "`+\\d+", "");
            var parts = name.Split('.');
            return parts.Length >= 2 && cref.StartsWith("T:", StringComparison.Ordinal) ? parts[^1]
                : parts.Length >= 2 ? parts[^2] + "." + parts[^1] : name;
        }
    }

    /// <summary>Documentation ids (the <c>name</c> of a <c>member</c> in the XML file), as the C# compiler writes them.</summary>
    static class DocId
    {
        public static string Of(Type t) => "T:" + TypeId(t);

        public static string Of(MemberInfo m) => m switch
        {
            Type t => Of(t),
            FieldInfo f => $"F:{TypeId(f.DeclaringType!)}.{f.Name}",
            PropertyInfo p => $"P:{TypeId(p.DeclaringType!)}.{p.Name}{Arguments(p.GetIndexParameters(), null)}",
            EventInfo e => $"E:{TypeId(e.DeclaringType!)}.{e.Name}",
            ConstructorInfo c => $"M:{TypeId(c.DeclaringType!)}.{(c.IsStatic ? "#cctor" : "#ctor")}{Arguments(c.GetParameters(), null)}",
            MethodInfo mi => $"M:{TypeId(mi.DeclaringType!)}.{mi.Name}{(mi.IsGenericMethodDefinition ? "``" + mi.GetGenericArguments().Length : "")}"
                             + Arguments(mi.GetParameters(), mi) + (mi.Name is "op_Implicit" or "op_Explicit" ? "~" + Param(mi.ReturnType) : ""),
            _ => "",
        };

        static string TypeId(Type t) => (t.FullName ?? t.Name).Replace('+', '.');

        static string Arguments(ParameterInfo[] ps, MethodInfo? _) =>
            ps.Length == 0 ? "" : "(" + string.Join(",", ps.Select(p => Param(p.ParameterType))) + ")";

        static string Param(Type t)
        {
            if (t.IsByRef) return Param(t.GetElementType()!) + "@";
            if (t.IsPointer) return Param(t.GetElementType()!) + "*";
            if (t.IsArray)
                return Param(t.GetElementType()!) + (t.GetArrayRank() == 1 ? "[]" : "[" + string.Join(",", Enumerable.Repeat("0:", t.GetArrayRank())) + "]");
            if (t.IsGenericParameter) return (t.DeclaringMethod is not null ? "``" : "`") + t.GenericParameterPosition;
            if (t.IsGenericType)
            {
                var def = t.GetGenericTypeDefinition();
                var name = Regex.Replace((def.FullName ?? def.Name).Replace('+', '.'), "`\\d+", "");
                return name + "{" + string.Join(",", t.GetGenericArguments().Select(Param)) + "}";
            }

            return (t.FullName ?? t.Name).Replace('+', '.');
        }
    }
}
