using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Runtime.Loader;
using Econtext.Loading;

namespace Econtext;

/// <summary>
/// Assemblies the master program builds at run time (a script compiled with Roslyn, say) and wants
/// to call into contexts. An assembly loaded from bytes has no file the master could read back to
/// send, so it has to be loaded through here: the image is kept and served to contexts by its simple
/// name like any application assembly. Only images the program itself chose to load are served.
/// </summary>
public static class InMemoryAssemblies
{
    private static readonly Lock s_gate = new();
    private static readonly Dictionary<string, (Assembly Assembly, byte[] Image)> s_loaded = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Loads <paramref name="image"/> into the default load context and makes it available to
    /// contexts. Loading the same image again returns the assembly already loaded.
    /// </summary>
    /// <exception cref="BadImageFormatException">The bytes are not an assembly.</exception>
    /// <exception cref="ArgumentException">The simple name is not made of letters, digits, '.', '_' and '-'.</exception>
    /// <exception cref="InvalidOperationException">Another assembly of this process already has the simple name.</exception>
    [System.Diagnostics.CodeAnalysis.RequiresUnreferencedCode(AotNotes.InMemory)]
    public static Assembly Load(byte[] image)
    {
        ArgumentNullException.ThrowIfNull(image);

        // The served bytes must stay those that were loaded, whatever the caller does with its array.
        byte[] copy = (byte[])image.Clone();
        string name = ReadSimpleName(copy);
        if (!AssemblyCatalog.IsPlainName(name))
        {
            throw new ArgumentException($"'{name}' cannot be served to contexts: a simple name is made of letters, digits, '.', '_' and '-'", nameof(image));
        }

        lock (s_gate)
        {
            if (s_loaded.TryGetValue(name, out (Assembly Assembly, byte[] Image) earlier))
            {
                return earlier.Image.AsSpan().SequenceEqual(copy)
                    ? earlier.Assembly
                    : throw Clash(name, "a different in-memory image");
            }

            // Contexts ask for assemblies by simple name, so one name must mean one image.
            if (AssemblyCatalog.IsFramework(name))
            {
                throw Clash(name, "an assembly of the .NET runtime");
            }

            if (AssemblyCatalog.FindLoaded(name) is not null)
            {
                throw Clash(name, "an assembly already loaded in this process");
            }

            Assembly assembly = AssemblyLoadContext.Default.LoadFromStream(new MemoryStream(copy, writable: false));
            AssemblyCatalog.AddImage(name, copy);
            s_loaded.Add(name, (assembly, copy));
            return assembly;
        }
    }

    private static InvalidOperationException Clash(string name, string other) =>
        new($"An in-memory assembly named '{name}' cannot be loaded: {other} has that name, and contexts ask for assemblies by simple name, so names must be unique");

    private static string ReadSimpleName(byte[] image)
    {
        try
        {
            using var pe = new PEReader(new MemoryStream(image, writable: false));
            if (!pe.HasMetadata)
            {
                throw new BadImageFormatException("the image has no .NET metadata");
            }

            MetadataReader metadata = pe.GetMetadataReader();
            if (!metadata.IsAssembly)
            {
                throw new BadImageFormatException("the image is a module, not an assembly");
            }

            return metadata.GetString(metadata.GetAssemblyDefinition().Name);
        }
        catch (InvalidOperationException ex)
        {
            throw new BadImageFormatException($"the image is not a .NET assembly: {ex.Message}", ex);
        }
    }
}
