namespace Econtext.Transports;

/// <summary>
/// Called by the master, inside an intermediate context, to start a transport there (sudo inside an
/// ssh host, say). The intermediate becomes the new context's parent; the master already told every
/// context on the way where the new id lives.
/// </summary>
internal static class RemoteSpawner
{
    public static Task<SpawnResult> SpawnAsync(TransportSpec spec, int id) =>
        (CurrentContext.ChildRouter ?? throw new InvalidOperationException("RemoteSpawner runs only inside a context"))
        .SpawnForParentAsync(spec, id);
}
