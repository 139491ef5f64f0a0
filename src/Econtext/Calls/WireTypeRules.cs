using System.Collections.Concurrent;
using System.Reflection;

namespace Econtext.Calls;

/// <summary>
/// Which declared types may cross the wire. The receiver builds values from the declared type alone,
/// so a type is allowed only when its declaration says everything needed to rebuild it: primitives,
/// strings, byte arrays, enums, date and time types, Guid, nullable, arrays, lists, sets and
/// dictionaries of allowed types, and concrete records and classes whose public members are allowed.
/// </summary>
[System.Diagnostics.CodeAnalysis.RequiresUnreferencedCode(AotNotes.Calls)]
internal static class WireTypeRules
{
    private static readonly ConcurrentDictionary<Type, string?> s_verdicts = new();

    private static readonly HashSet<Type> s_scalars =
    [
        typeof(bool), typeof(byte), typeof(sbyte), typeof(short), typeof(ushort), typeof(int), typeof(uint),
        typeof(long), typeof(ulong), typeof(float), typeof(double), typeof(decimal), typeof(char), typeof(string),
        typeof(Half), typeof(Int128), typeof(UInt128), typeof(byte[]), typeof(DateTime), typeof(DateTimeOffset),
        typeof(TimeSpan), typeof(DateOnly), typeof(TimeOnly), typeof(Guid), typeof(Uri), typeof(Version),
    ];

    private static readonly HashSet<Type> s_sequences =
    [
        typeof(List<>), typeof(IList<>), typeof(ICollection<>), typeof(IEnumerable<>), typeof(IReadOnlyList<>),
        typeof(IReadOnlyCollection<>), typeof(HashSet<>), typeof(ISet<>), typeof(IReadOnlySet<>), typeof(Queue<>),
        typeof(Stack<>), typeof(LinkedList<>), typeof(SortedSet<>),
    ];

    private static readonly HashSet<Type> s_maps =
    [
        typeof(Dictionary<,>), typeof(IDictionary<,>), typeof(IReadOnlyDictionary<,>), typeof(SortedDictionary<,>),
        typeof(SortedList<,>),
    ];

    /// <summary>Null when <paramref name="type"/> may travel; otherwise why not, naming the part that fails.</summary>
    public static string? Check(Type type) => s_verdicts.GetOrAdd(type, static t => Check(t, new HashSet<Type>()));

    private static string? Check(Type type, HashSet<Type> visiting)
    {
        if (s_scalars.Contains(type) || type.IsEnum)
        {
            return null;
        }

        if (Nullable.GetUnderlyingType(type) is { } underlying)
        {
            return Check(underlying, visiting);
        }

        if (type.IsArray)
        {
            return type.GetArrayRank() != 1
                ? $"{Describe(type)} is a multi-dimensional array; use a jagged array or a list"
                : Inner(type.GetElementType()!, type, visiting);
        }

        if (type.IsPointer || type.IsByRef || type.IsByRefLike || typeof(Delegate).IsAssignableFrom(type))
        {
            return $"{Describe(type)} cannot be serialized (pointers, by-ref types, spans and delegates cannot leave a process)";
        }

        if (type == typeof(object) || type == typeof(ValueType) || type == typeof(Enum))
        {
            return $"{Describe(type)} does not say what to create on the other side; declare a concrete type";
        }

        if (typeof(Stream).IsAssignableFrom(type) || typeof(Task).IsAssignableFrom(type) || type == typeof(CancellationToken)
            || typeof(MemberInfo).IsAssignableFrom(type) || typeof(Exception).IsAssignableFrom(type) || type == typeof(IntPtr) || type == typeof(UIntPtr))
        {
            return $"{Describe(type)} is not a value that can travel";
        }

        if (type.IsGenericType)
        {
            Type definition = type.GetGenericTypeDefinition();
            Type[] arguments = type.GetGenericArguments();
            if (s_sequences.Contains(definition))
            {
                return Inner(arguments[0], type, visiting);
            }

            if (s_maps.Contains(definition))
            {
                if (!IsDictionaryKey(arguments[0]))
                {
                    return $"{Describe(type)} has key type {Describe(arguments[0])}; dictionary keys must be strings, numbers, enums, Guid or dates";
                }

                return Inner(arguments[1], type, visiting);
            }

            if (type.FullName?.StartsWith("System.ValueTuple`", StringComparison.Ordinal) == true
                || definition == typeof(KeyValuePair<,>))
            {
                foreach (Type argument in arguments)
                {
                    if (Inner(argument, type, visiting) is { } reason)
                    {
                        return reason;
                    }
                }

                return null;
            }
        }

        if (type.IsInterface || type.IsAbstract)
        {
            return $"{Describe(type)} is an interface or abstract type: the wire carries values typed by the declaration, so the receiver cannot know what to create; declare a concrete type";
        }

        if (type.Namespace is { } ns && (ns == "System" || ns.StartsWith("System.", StringComparison.Ordinal)) && !type.IsGenericType)
        {
            return $"{Describe(type)} is not one of the framework types the wire carries (primitives, string, byte[], enums, DateTime, DateTimeOffset, TimeSpan, DateOnly, TimeOnly, Guid, Uri, Version)";
        }

        if (!visiting.Add(type))
        {
            return null;
        }

        if (!type.IsValueType && type.GetConstructor(Type.EmptyTypes) is null
            && type.GetConstructors().Length != 1)
        {
            return $"{Describe(type)} has no public parameterless constructor and more than one public constructor; give it one to deserialize with";
        }

        foreach (PropertyInfo property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetIndexParameters().Length > 0 || property.GetMethod is null || property.GetMethod.IsPublic == false)
            {
                continue;
            }

            if (property.GetCustomAttribute<System.Text.Json.Serialization.JsonIgnoreAttribute>() is not null)
            {
                continue;
            }

            if (Check(property.PropertyType, visiting) is { } reason)
            {
                return $"property {type.Name}.{property.Name}: {reason}";
            }
        }

        foreach (FieldInfo field in type.GetFields(BindingFlags.Public | BindingFlags.Instance))
        {
            if (Check(field.FieldType, visiting) is { } reason)
            {
                return $"field {type.Name}.{field.Name}: {reason}";
            }
        }

        return null;
    }

    private static string? Inner(Type element, Type container, HashSet<Type> visiting) =>
        Check(element, visiting) is { } reason ? $"{Describe(container)} holds {reason}" : null;

    private static bool IsDictionaryKey(Type key) =>
        key == typeof(string) || key.IsEnum || key == typeof(Guid) || key == typeof(DateTime) || key == typeof(DateTimeOffset)
        || (key.IsPrimitive && key != typeof(IntPtr) && key != typeof(UIntPtr)) || key == typeof(decimal);

    public static string Describe(Type type)
    {
        if (!type.IsGenericType)
        {
            return type.IsArray ? Describe(type.GetElementType()!) + "[]" : type.Name;
        }

        string name = type.Name;
        int tick = name.IndexOf('`', StringComparison.Ordinal);
        if (tick >= 0)
        {
            name = name[..tick];
        }

        return name + "<" + string.Join(", ", type.GetGenericArguments().Select(Describe)) + ">";
    }
}
