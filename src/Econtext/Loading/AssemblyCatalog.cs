using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Loader;

namespace Econtext.Loading;

/// <summary>
/// The assemblies this process may hand to its children: those of the application (loaded in its
/// load contexts, or resolvable through its deps.json closure), the framework assemblies of its own
/// runtime (only a context running a shipped, pruned runtime ever asks for one: every other runtime
/// has its whole framework), the images the program loaded through <see cref="InMemoryAssemblies"/>,
/// and never a file a child names by path.
/// </summary>
internal static class AssemblyCatalog
{
    private static readonly ConcurrentDictionary<string, byte[]> s_images = new(StringComparer.OrdinalIgnoreCase);
    private static readonly ConcurrentDictionary<Assembly, IReadOnlyList<Assembly>> s_closures = new();
    private static readonly Lazy<HashSet<string>> s_frameworkNames = new(LoadFrameworkNames);

    /// <summary>Whether a child is expected to take this assembly from its own runtime.</summary>
    public static bool IsFramework(string simpleName) => s_frameworkNames.Value.Contains(simpleName);

    /// <summary>The root and every non-framework assembly it references, directly or not; dependencies first.</summary>
    [System.Diagnostics.CodeAnalysis.RequiresUnreferencedCode(AotNotes.Images)]
    public static IReadOnlyList<Assembly> Closure(Assembly root) => s_closures.GetOrAdd(root, static r =>
    {
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var order = new List<Assembly>();
        Visit(r, seen, order);
        return order;
    });

    /// <summary>Image bytes of an application assembly by simple name, or null with the reason.</summary>
    [System.Diagnostics.CodeAnalysis.RequiresAssemblyFiles(AotNotes.Images)]
    public static byte[]? TryGetImage(string simpleName, out string? refusal)
    {
        refusal = null;

        // A request is a plain simple name: never a path, never a display name (whose version or
        // culture parts would slip past the framework check below).
        if (!IsPlainName(simpleName))
        {
            refusal = $"'{simpleName}' is not a simple assembly name";
            return null;
        }

        if (IsFramework(simpleName))
        {
            // A context on a shipped (pruned) runtime takes the framework assemblies it was not
            // sent from here, from memory. They are the runtime's public files, nothing private.
            return TryGetFrameworkImage(simpleName, out refusal);
        }

        if (s_images.TryGetValue(simpleName, out byte[]? cached))
        {
            return cached;
        }

        Assembly? assembly = FindLoaded(simpleName);
        if (assembly is null)
        {
            try
            {
                // The default context resolves only through the application's own deps.json closure.
                assembly = AssemblyLoadContext.Default.LoadFromAssemblyName(new AssemblyName(simpleName));
            }
            catch (Exception ex) when (ex is FileNotFoundException or FileLoadException or BadImageFormatException or ArgumentException)
            {
                refusal = $"{simpleName} is not an assembly of this application";
                return null;
            }
        }

        return TryGetImage(assembly, out refusal);
    }

    private static byte[]? TryGetFrameworkImage(string simpleName, out string? refusal)
    {
        refusal = null;
        string path = Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), simpleName + ".dll");
        if (s_images.TryGetValue(simpleName, out byte[]? cached))
        {
            return cached;
        }

        if (!File.Exists(path))
        {
            refusal = $"{simpleName} is part of the .NET runtime, and this side's runtime ({RuntimeInformation.FrameworkDescription}) does not have it either";
            return null;
        }

        return s_images.GetOrAdd(simpleName, _ => File.ReadAllBytes(path));
    }

    /// <summary>Records the image of an assembly loaded from memory, which has no file to read it from.</summary>
    public static void AddImage(string simpleName, byte[] image) => s_images[simpleName] = image;

    public static bool IsPlainName(string name) =>
        name.Length is > 0 and <= 1024 && !name.Contains("..", StringComparison.Ordinal)
        && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');

    [System.Diagnostics.CodeAnalysis.RequiresAssemblyFiles(AotNotes.Images)]
    public static byte[]? TryGetImage(Assembly assembly, out string? refusal)
    {
        refusal = null;
        string name = assembly.GetName().Name!;
        if (s_images.TryGetValue(name, out byte[]? cached))
        {
            return cached;
        }

        if (assembly.IsDynamic || string.IsNullOrEmpty(assembly.Location))
        {
            refusal = $"{name} was loaded from memory and has no image to send (an assembly built at run time must be loaded with InMemoryAssemblies.Load)";
            return null;
        }

        try
        {
            return s_images.GetOrAdd(name, File.ReadAllBytes(assembly.Location));
        }
        catch (IOException ex)
        {
            refusal = $"{name} could not be read from {assembly.Location}: {ex.Message}";
            return null;
        }
    }

    [System.Diagnostics.CodeAnalysis.RequiresUnreferencedCode(AotNotes.Images)]
    private static void Visit(Assembly assembly, HashSet<string> seen, List<Assembly> order)
    {
        string name = assembly.GetName().Name!;
        if (!seen.Add(name) || IsFramework(name))
        {
            return;
        }

        AssemblyLoadContext context = AssemblyLoadContext.GetLoadContext(assembly) ?? AssemblyLoadContext.Default;
        foreach (AssemblyName reference in assembly.GetReferencedAssemblies())
        {
            if (reference.Name is null || seen.Contains(reference.Name) || IsFramework(reference.Name))
            {
                continue;
            }

            try
            {
                Visit(FindLoaded(reference.Name) ?? context.LoadFromAssemblyName(reference), seen, order);
            }
            catch (Exception ex) when (ex is FileNotFoundException or FileLoadException or BadImageFormatException)
            {
                // Not resolvable here either; the child will ask and get the same answer.
            }
        }

        order.Add(assembly);
    }

    public static Assembly? FindLoaded(string simpleName)
    {
        foreach (Assembly assembly in AppDomain.CurrentDomain.GetAssemblies())
        {
            if (!assembly.IsDynamic && string.Equals(assembly.GetName().Name, simpleName, StringComparison.OrdinalIgnoreCase))
            {
                return assembly;
            }
        }

        return null;
    }

    private static HashSet<string> LoadFrameworkNames()
    {
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        string directory = RuntimeEnvironment.GetRuntimeDirectory();
        foreach (string file in Directory.EnumerateFiles(directory, "*.dll"))
        {
            names.Add(Path.GetFileNameWithoutExtension(file));
        }

        names.Add("System.Private.CoreLib");
        names.Add("mscorlib");
        names.Add("netstandard");
        return names;
    }
}
