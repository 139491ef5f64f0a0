using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.Loader;

namespace Econtext.Loading;

/// <summary>
/// In a child: every assembly that is not the target's framework comes from the parent. Images the
/// parent pushed ahead of need are loaded from memory at once; anything else is asked for
/// (GET_ASSEMBLY) and the asking thread waits for the answer. The default load context is used, so
/// the framework always wins a name clash and a type is never loaded twice.
/// </summary>
[System.Diagnostics.CodeAnalysis.RequiresUnreferencedCode(AotNotes.Child)]
[System.Diagnostics.CodeAnalysis.UnconditionalSuppressMessage("SingleFile", "IL3000", Justification = AotNotes.Child)]
internal sealed class ChildAssemblyResolver
{
    /// <summary>Where the target's framework assemblies are: CoreLib's directory.</summary>
    private static readonly string s_frameworkDirectory = Path.GetDirectoryName(typeof(object).Assembly.Location) ?? string.Empty;

    private readonly ConcurrentDictionary<string, byte[]> _pending = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, Assembly> _loaded = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, byte[]> _images = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Asks the parent for an image; null when it refuses. Set once the router runs.</summary>
    public Func<string, byte[]?>? Fetch { get; set; }

    public void Install() => AssemblyLoadContext.Default.Resolving += OnResolving;

    /// <summary>
    /// An image pushed by the parent (LOAD_ASSEMBLY or the bootstrap preamble), loaded now: it was
    /// pushed because code here is about to need it, and an assembly the runtime finds already
    /// loaded costs a fraction of one it has to ask the <c>Resolving</c> event for (0.1 against 7 ms
    /// and more for the first, measured in a child; the event's return path is the slow part). A
    /// name the target's framework has is left for the runtime to ask for, so the framework still
    /// wins; an image that fails to load waits too, so the error surfaces where code needs it.
    /// </summary>
    public void Add(string name, byte[] image)
    {
        _images.TryAdd(name, image);
        if (!IsFrameworkName(name))
        {
            lock (_loaded)
            {
                if (_loaded.ContainsKey(name))
                {
                    return;
                }

                try
                {
                    _loaded[name] = MemoryAssemblyLoader.Load(name, image);
                    return;
                }
                catch (Exception)
                {
                    // Left pending: the runtime asks when code needs it, and the failure is reported
                    // there, to the call that needed it. This runs on the receive loop, which an
                    // image the runtime refuses must not stop.
                }
            }
        }

        _pending.TryAdd(name, image);
    }

    /// <summary>
    /// Whether the target's framework has an assembly of that name: the runtime directory holds the
    /// framework's assemblies, so one stat answers, where parsing the trusted-platform list first
    /// cost a child 4.5 ms (and File.Exists's first use 1-2 ms more than access(2)). The master's
    /// <see cref="AssemblyCatalog.IsFramework"/> asks the same of its own runtime by listing the
    /// directory once, which a child's start cannot afford for the one or two names it checks.
    /// </summary>
    private static bool IsFrameworkName(string name) =>
        Native.Libc.Access(s_frameworkDirectory + "/" + name + ".dll", 0) == 0;

    /// <summary>An image passing through on its way to a context below: kept to serve, not loaded here.</summary>
    public void Keep(string name, byte[] image) => _images.TryAdd(name, image);

    /// <summary>An assembly loaded from an image the parent pushed, by simple name; null if there is none.</summary>
    public Assembly? Loaded(string name)
    {
        lock (_loaded)
        {
            return _loaded.TryGetValue(name, out Assembly? assembly) ? assembly : null;
        }
    }

    /// <summary>The bytes of an assembly this child holds, for serving its own children.</summary>
    public byte[]? GetImage(string name) => _images.TryGetValue(name, out byte[]? image) ? image : null;

    private Assembly? OnResolving(AssemblyLoadContext context, AssemblyName name)
    {
        if (name.Name is null)
        {
            return null;
        }

        lock (_loaded)
        {
            if (_loaded.TryGetValue(name.Name, out Assembly? done))
            {
                return done;
            }

            if (!_pending.TryRemove(name.Name, out byte[]? image) && !_images.TryGetValue(name.Name, out image))
            {
                image = Fetch?.Invoke(name.Name);
                if (image is null)
                {
                    return null;
                }

                _images.TryAdd(name.Name, image);
            }

            Assembly assembly = MemoryAssemblyLoader.Load(name.Name, image);
            _loaded[name.Name] = assembly;
            return assembly;
        }
    }
}
