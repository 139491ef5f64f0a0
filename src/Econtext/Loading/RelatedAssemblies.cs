using System.Reflection;
using System.Reflection.Emit;

namespace Econtext.Loading;

/// <summary>
/// Works out which assemblies a call will need, the way Mitogen's importer finds a module's related
/// modules: the called method's own assembly, the assemblies its signature names, and those whose
/// members its code (and the code it reaches inside its own assembly: helpers, lambdas, async state
/// machines) refers to, each with its own reference closure. An application's main assembly refers
/// to everything it uses anywhere; pushing that whole closure would send, say, a CLI's terminal
/// library to every child for a call that never touches it.
/// </summary>
[System.Diagnostics.CodeAnalysis.RequiresUnreferencedCode(AotNotes.Images)]
internal static class RelatedAssemblies
{
    private const int MethodBudget = 2000;
    private static readonly OpCode[] s_oneByte = new OpCode[256];
    private static readonly OpCode[] s_twoByte = new OpCode[256];

    static RelatedAssemblies()
    {
        foreach (FieldInfo field in typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static))
        {
            if (field.GetValue(null) is OpCode code)
            {
                ushort value = (ushort)code.Value;
                if (value < 0x100)
                {
                    s_oneByte[value] = code;
                }
                else if ((value & 0xff00) == 0xfe00)
                {
                    s_twoByte[value & 0xff] = code;
                }
            }
        }
    }

    /// <summary>Non-framework assemblies the method needs, dependencies before dependents.</summary>
    public static List<Assembly> For(MethodInfo method, IEnumerable<Type> extraTypes)
    {
        Assembly home = method.Module.Assembly;
        var direct = new HashSet<Assembly> { home };
        foreach (Type type in extraTypes.Concat(method.GetParameters().Select(p => p.ParameterType)).Append(method.ReturnType))
        {
            AddType(type, direct);
        }

        var queue = new Queue<MethodBase>();
        var seen = new HashSet<MethodBase>();
        Enqueue(method, queue, seen);
        var seenTypes = new HashSet<Type>();
        while (queue.Count > 0 && seen.Count < MethodBudget)
        {
            MethodBase current = queue.Dequeue();
            foreach (MemberInfo member in ReferencedMembers(current))
            {
                Type? owner = member as Type ?? member.DeclaringType;
                if (owner is not null)
                {
                    AddType(owner, direct);
                }

                if (member is MethodBase called)
                {
                    foreach (Type argument in called.IsGenericMethod ? called.GetGenericArguments() : [])
                    {
                        AddType(argument, direct);
                    }
                }

                if (owner?.Assembly != home)
                {
                    continue;
                }

                // Code of our own assembly that this code can reach runs too: scan it.
                if (member is MethodBase sameAssembly)
                {
                    Enqueue(sameAssembly, queue, seen);
                }

                Type definition = owner.IsGenericType ? owner.GetGenericTypeDefinition() : owner;
                if (seenTypes.Add(definition) && IsCompilerGenerated(definition))
                {
                    // Async state machines and closures are entered through interfaces and delegates.
                    foreach (MethodInfo generated in definition.GetMethods(BindingFlags.Instance | BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
                    {
                        Enqueue(generated, queue, seen);
                    }
                }
            }
        }

        var ordered = new List<Assembly>();
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (Assembly assembly in direct)
        {
            foreach (Assembly needed in AssemblyCatalog.Closure(assembly))
            {
                if (names.Add(needed.GetName().Name!))
                {
                    ordered.Add(needed);
                }
            }
        }

        return ordered;
    }

    private static void Enqueue(MethodBase method, Queue<MethodBase> queue, HashSet<MethodBase> seen)
    {
        if (seen.Add(method))
        {
            queue.Enqueue(method);
        }
    }

    private static bool IsCompilerGenerated(Type type) =>
        type.IsDefined(typeof(System.Runtime.CompilerServices.CompilerGeneratedAttribute), inherit: false)
        || type.Name.Contains('<', StringComparison.Ordinal);

    private static void AddType(Type type, HashSet<Assembly> into)
    {
        while (type.HasElementType)
        {
            type = type.GetElementType()!;
        }

        if (type.IsGenericParameter)
        {
            return;
        }

        if (!AssemblyCatalog.IsFramework(type.Assembly.GetName().Name!) && !type.Assembly.IsDynamic)
        {
            into.Add(type.Assembly);
        }

        if (type.IsGenericType)
        {
            foreach (Type argument in type.GetGenericArguments())
            {
                AddType(argument, into);
            }
        }
    }

    private static IEnumerable<MemberInfo> ReferencedMembers(MethodBase method)
    {
        byte[]? il;
        try
        {
            il = method.GetMethodBody()?.GetILAsByteArray();
        }
        catch (Exception ex) when (ex is InvalidOperationException or NotSupportedException or BadImageFormatException)
        {
            yield break;
        }

        if (il is null)
        {
            yield break;
        }

        Module module = method.Module;
        Type[]? typeArguments = method.DeclaringType is { IsGenericType: true } t ? t.GetGenericArguments() : null;
        Type[]? methodArguments = method.IsGenericMethod ? method.GetGenericArguments() : null;
        int position = 0;
        while (position < il.Length)
        {
            OpCode code;
            byte first = il[position++];
            if (first == 0xfe)
            {
                if (position >= il.Length)
                {
                    yield break;
                }

                code = s_twoByte[il[position++]];
            }
            else
            {
                code = s_oneByte[first];
            }

            int operandSize = OperandSize(code.OperandType, il, position);
            if (operandSize < 0 || position + operandSize > il.Length)
            {
                yield break;
            }

            if (code.OperandType is OperandType.InlineMethod or OperandType.InlineField or OperandType.InlineType or OperandType.InlineTok)
            {
                int token = BitConverter.ToInt32(il, position);
                MemberInfo? member = null;
                try
                {
                    member = module.ResolveMember(token, typeArguments, methodArguments);
                }
                catch (Exception ex) when (ex is ArgumentException or BadImageFormatException or TypeLoadException or FileNotFoundException or FileLoadException or MissingMemberException)
                {
                }

                if (member is not null)
                {
                    yield return member;
                }
            }

            position += operandSize;
        }
    }

    private static int OperandSize(OperandType type, byte[] il, int position) => type switch
    {
        OperandType.InlineNone => 0,
        OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
        OperandType.InlineVar => 2,
        OperandType.InlineI8 or OperandType.InlineR => 8,
        OperandType.InlineSwitch => position + 4 <= il.Length ? 4 + (BitConverter.ToInt32(il, position) * 4) : -1,
        _ => 4,
    };
}
