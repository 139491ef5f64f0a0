using System.Linq.Expressions;
using System.Reflection;

namespace Econtext.Cli.Scripting;

/// <summary>
/// A compiled script, loaded in this process through <see cref="InMemoryAssemblies"/> so that
/// contexts are sent its image like any other assembly's.
/// </summary>
internal sealed class CompiledScript
{
    private readonly Expression<Func<Task<string>>> _call;

    public CompiledScript(Assembly assembly, MethodInfo entry, bool fromCache)
    {
        Assembly = assembly;
        Entry = entry;
        FromCache = fromCache;
        _call = Expression.Lambda<Func<Task<string>>>(Expression.Call(entry));
    }

    public Assembly Assembly { get; }

    /// <summary><c>public static Task&lt;string&gt; Run()</c>: runs the script and returns its value as JSON text.</summary>
    public MethodInfo Entry { get; }

    /// <summary>Whether the image came from the compiled-script cache rather than from Roslyn.</summary>
    public bool FromCache { get; }

    /// <summary>Runs the script in <paramref name="context"/>; the value as JSON text (<c>null</c> for none).</summary>
    public async Task<string> CallAsync(Context context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        return await context.CallAsync(_call, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Runs the script here, in the master.</summary>
    public Task<string> RunHereAsync() => (Task<string>)Entry.Invoke(null, null)!;
}
