using System.Diagnostics.CodeAnalysis;
using Econtext.Wire;

namespace Econtext.Routing;

/// <summary>
/// Where every context is, as one router sees it: its own id, the stream to its parent (none in the
/// master), its ancestors, and for each context below it the stream that leads there. Anything not
/// below lies through the parent.
/// </summary>
internal sealed class RouteTable(int selfId, ContextStream? parent, IEnumerable<int> ancestors)
{
    private readonly LockedMap<ContextStream> _streams = new();
    private readonly HashSet<int> _ancestors = [.. ancestors];

    public int SelfId => selfId;

    /// <summary>The stream to the parent; null in the master.</summary>
    public ContextStream? Parent => parent;

    public IReadOnlyCollection<int> Ancestors => _ancestors;

    /// <summary>The stream behind which <paramref name="id"/> lives, if it lives below this context.</summary>
    public bool TryGetBelow(int id, [MaybeNullWhen(false)] out ContextStream stream) => _streams.TryGetValue(id, out stream);

    /// <summary>The stream to the context <paramref name="id"/> itself, if this context started it.</summary>
    public bool TryGetChild(int id, [MaybeNullWhen(false)] out ContextStream stream) =>
        _streams.TryGetValue(id, out stream) && stream.RemoteId == id;

    /// <summary><paramref name="id"/> lives behind <paramref name="stream"/> from now on.</summary>
    public void Add(int id, ContextStream stream)
    {
        if (stream.RemoteId != id)
        {
            stream.AddIdBehind(id);
        }

        _streams[id] = stream;
    }

    /// <summary>Forgets the route to <paramref name="id"/> only, leaving the stream's own list as it is (a DEL_ROUTE already updated it).</summary>
    public void Forget(int id) => _streams.TryRemove(id, out _);

    public IReadOnlyList<ContextStream> Streams() => _streams.SnapshotValues();

    /// <summary>The next hop towards <paramref name="dst"/>: the stream below it lives behind, else the parent.</summary>
    public ContextStream? RouteTo(int dst) => _streams.TryGetValue(dst, out ContextStream? stream) ? stream : parent;

    /// <summary>Source verification: an id may arrive on a stream only if it lives behind it.</summary>
    public bool SourceIsBehind(ContextStream from, int src) =>
        from == parent ? src != selfId && !_streams.ContainsKey(src) : from.Owns(src);

    /// <summary>Whether <paramref name="from"/> and the header's ids satisfy <paramref name="policy"/>.</summary>
    public bool Admits(Policy policy, ContextStream from, MessageHeader header) => policy switch
    {
        Policy.FromAncestor => from == parent && _ancestors.Contains(header.Auth) && _ancestors.Contains(header.Src),
        Policy.FromParent => from == parent && header.Src == from.RemoteId,
        Policy.FromBelow => from != parent,
        Policy.FromChild => from != parent && header.Src == from.RemoteId,
        _ => false,
    };
}
