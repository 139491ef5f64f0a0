using System.Collections.Concurrent;
using System.Reflection;

namespace Econtext.Calls;

/// <summary>
/// Everything both sides need to know about one remotely called method, worked out once:
/// how it is named on the wire (assembly, MVID, metadata token, generic arguments), the declared
/// types its values are read as, where the cancellation token goes, and how its result is awaited.
/// Building a plan validates the method; the message says what is wrong and how to fix it.
/// </summary>
[System.Diagnostics.CodeAnalysis.RequiresUnreferencedCode(AotNotes.Calls)]
[System.Diagnostics.CodeAnalysis.RequiresDynamicCode(AotNotes.Calls)]
internal sealed class MethodPlan
{
    private static readonly ConcurrentDictionary<MethodInfo, MethodPlan> s_plans = new();

    private MethodPlan(MethodInfo method)
    {
        Method = method;
        ParameterInfo[] parameters = method.GetParameters();
        ParameterTypes = new Type[parameters.Length];
        for (int i = 0; i < parameters.Length; i++)
        {
            ParameterTypes[i] = parameters[i].ParameterType;
        }

        CancellationTokenIndex = Array.IndexOf(ParameterTypes, typeof(CancellationToken));
        for (int i = 0; i < ParameterTypes.Length; i++)
        {
            if (ChannelKindOf(ParameterTypes[i]) is { } kind)
            {
                ChannelIndex = i;
                ChannelKind = kind;
                ChannelItemType = ParameterTypes[i].GetGenericArguments()[0];
            }
        }

        Type returnType = method.ReturnType;
        if (returnType == typeof(void))
        {
            ReturnKind = ReturnKind.Void;
        }
        else if (returnType == typeof(Task))
        {
            ReturnKind = ReturnKind.Task;
        }
        else if (returnType == typeof(ValueTask))
        {
            ReturnKind = ReturnKind.ValueTask;
        }
        else if (returnType.IsGenericType && returnType.GetGenericTypeDefinition() == typeof(Task<>))
        {
            ReturnKind = ReturnKind.TaskOfT;
            ResultType = returnType.GetGenericArguments()[0];
            ResultGetter = returnType.GetProperty(nameof(Task<int>.Result))!;
        }
        else if (returnType.IsGenericType && returnType.GetGenericTypeDefinition() == typeof(ValueTask<>))
        {
            ReturnKind = ReturnKind.ValueTaskOfT;
            ResultType = returnType.GetGenericArguments()[0];
            AsTask = returnType.GetMethod(nameof(ValueTask<int>.AsTask))!;
            ResultGetter = typeof(Task<>).MakeGenericType(ResultType).GetProperty(nameof(Task<int>.Result))!;
        }
        else if (returnType.IsGenericType && returnType.GetGenericTypeDefinition() == typeof(IAsyncEnumerable<>))
        {
            ReturnKind = ReturnKind.AsyncEnumerable;
            ResultType = returnType.GetGenericArguments()[0];
        }
        else
        {
            ReturnKind = ReturnKind.Value;
            ResultType = returnType;
        }

        Module module = method.Module;
        Mvid = module.ModuleVersionId;
        MetadataToken = method.MetadataToken;
        TypeArguments = method.DeclaringType is { IsGenericType: true } declaring ? declaring.GetGenericArguments() : [];
        MethodArguments = method.IsGenericMethod ? method.GetGenericArguments() : [];
    }

    public MethodInfo Method { get; }

    public Type[] ParameterTypes { get; }

    /// <summary>Index of the ChannelReader/ChannelWriter parameter, or -1.</summary>
    public int ChannelIndex { get; } = -1;

    /// <summary>Which side of a channel the method takes; null without one.</summary>
    public ChannelKind? ChannelKind { get; }

    public Type? ChannelItemType { get; }

    public static ChannelKind? ChannelKindOf(Type type) =>
        !type.IsGenericType ? null
        : type.GetGenericTypeDefinition() == typeof(System.Threading.Channels.ChannelReader<>) ? Calls.ChannelKind.Reader
        : type.GetGenericTypeDefinition() == typeof(System.Threading.Channels.ChannelWriter<>) ? Calls.ChannelKind.Writer
        : null;

    /// <summary>Index of the CancellationToken parameter bound to the caller's token, or -1.</summary>
    public int CancellationTokenIndex { get; }

    public ReturnKind ReturnKind { get; }

    /// <summary>The type of the value the caller gets: T of T, Task&lt;T&gt; or ValueTask&lt;T&gt;; null when there is none.</summary>
    public Type? ResultType { get; }

    public PropertyInfo? ResultGetter { get; }

    public MethodInfo? AsTask { get; }

    public Guid Mvid { get; }

    public int MetadataToken { get; }

    public Type[] TypeArguments { get; }

    public Type[] MethodArguments { get; }

    public string DisplayName => $"{Method.DeclaringType?.Name}.{Method.Name}";

    /// <summary>Assemblies a child needs to run this method, filled in by the master on first use.</summary>
    public IReadOnlyList<System.Reflection.Assembly>? RequiredAssemblies { get; set; }

    /// <summary>The plan for a method called from this side; throws <see cref="ArgumentException"/> when it cannot be called remotely.</summary>
    public static MethodPlan ForCaller(MethodInfo method)
    {
        if (s_plans.TryGetValue(method, out MethodPlan? plan))
        {
            return plan;
        }

        Validate(method);
        return s_plans.GetOrAdd(method, static m => new MethodPlan(m));
    }

    /// <summary>The plan for a method resolved from a call message; the caller validated it.</summary>
    public static MethodPlan ForCallee(MethodInfo method) => s_plans.GetOrAdd(method, static m => new MethodPlan(m));

    private static void Validate(MethodInfo method)
    {
        string where = $"{method.DeclaringType?.FullName}.{method.Name}";
        if (!method.IsStatic)
        {
            throw new ArgumentException(
                $"Cannot call {where} in another context: it is an instance method. Call a static method; the call runs in another process, where this instance does not exist.",
                "call");
        }

        if (method.ContainsGenericParameters)
        {
            throw new ArgumentException($"Cannot call {where} in another context: it has open generic parameters.", "call");
        }

        if (method.DeclaringType?.Assembly.IsDynamic == true)
        {
            throw new ArgumentException(
                $"Cannot call {where} in another context: its assembly was emitted at run time and has no image to send. Compile it to a real assembly.",
                "call");
        }

        int channels = 0;
        foreach (ParameterInfo parameter in method.GetParameters())
        {
            Type type = parameter.ParameterType;
            if (type.IsByRef)
            {
                throw new ArgumentException(
                    $"Cannot call {where} in another context: parameter '{parameter.Name}' is passed by reference (ref, out or in); values only travel one way. Return the value instead.",
                    parameter.Name);
            }

            if (type == typeof(CancellationToken))
            {
                continue;
            }

            if (ChannelKindOf(type) is not null)
            {
                if (++channels > 1)
                {
                    throw new ArgumentException($"Cannot call {where} in another context: it takes more than one channel; one ChannelReader<T> or ChannelWriter<T> per call.", parameter.Name);
                }

                Type item = type.GetGenericArguments()[0];
                if (WireTypeRules.Check(item) is { } itemReason)
                {
                    throw new ArgumentException(
                        $"Cannot call {where} in another context: the items of parameter '{parameter.Name}' ({WireTypeRules.Describe(type)}) cannot be sent: {itemReason}.",
                        parameter.Name);
                }

                continue;
            }

            if (WireTypeRules.Check(type) is { } reason)
            {
                throw new ArgumentException(
                    $"Cannot call {where} in another context: parameter '{parameter.Name}' of type {WireTypeRules.Describe(type)} cannot be sent: {reason}.",
                    parameter.Name);
            }
        }

        Type returnType = method.ReturnType;
        if (returnType.IsGenericType && (returnType.GetGenericTypeDefinition() == typeof(Task<>) || returnType.GetGenericTypeDefinition() == typeof(ValueTask<>)
            || returnType.GetGenericTypeDefinition() == typeof(IAsyncEnumerable<>)))
        {
            returnType = returnType.GetGenericArguments()[0];
        }
        else if (returnType == typeof(void) || returnType == typeof(Task) || returnType == typeof(ValueTask))
        {
            return;
        }


        if (WireTypeRules.Check(returnType) is { } returnReason)
        {
            throw new ArgumentException(
                $"Cannot call {where} in another context: its result type {WireTypeRules.Describe(returnType)} cannot be sent back: {returnReason}.",
                "call");
        }
    }
}
