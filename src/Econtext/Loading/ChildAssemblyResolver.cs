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
internal sealed class ChildAssemblyResolver
{
    private readonly ConcurrentDictionary<string, byte[]> _pending = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, Assembly> _loaded = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, byte[]> _images = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Asks the parent for an image; null when it refuses. Set once the router runs.</summary>
    public Func<string, byte[]?>? Fetch { get; set; }

    public void Install() => AssemblyLoadContext.Default.Resolving += OnResolving;

    /// <summary>An image pushed by the parent (LOAD_ASSEMBLY or the bootstrap preamble).</summary>
    public void Add(string name, byte[] image)
    {
        _pending.TryAdd(name, image);
        _images.TryAdd(name, image);
    }

    /// <summary>An image passing through on its way to a context below: kept to serve, not loaded here.</summary>
    public void Keep(string name, byte[] image) => _images.TryAdd(name, image);

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
