using System.Collections.Concurrent;
using Econtext.Transports;

namespace Econtext.Bootstrap;

/// <summary>
/// Called by the master, inside an intermediate context, to start a transport there (sudo inside an
/// ssh host, say). The intermediate becomes the new context's parent; the master already told every
/// context on the way where the new id lives.
/// </summary>
/// <remarks>
/// The master gives up on a connect with <see cref="Cancel"/>, a call of its own, rather than the
/// call's CANCEL: a CANCEL would make it drop the spawn's reply, and that reply is what tells it
/// whether a context came up anyway and must be shut down. The two calls may start in either order
/// on the pool, so a cancel that arrives first is kept for the spawn that follows.
/// </remarks>
internal static class RemoteSpawner
{
    private static readonly ConcurrentDictionary<int, CancellationTokenSource> s_cancels = new();

    public static async Task<SpawnResult> SpawnAsync(TransportSpec spec, int id, CancellationToken cancellationToken)
    {
        Router router = CurrentContext.ChildRouter ?? throw new InvalidOperationException("RemoteSpawner runs only inside a context");
        CancellationTokenSource cancel = s_cancels.GetOrAdd(id, static _ => new CancellationTokenSource());
        try
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, cancel.Token);
            return await router.Connector.SpawnForParentAsync(spec, id, linked.Token).ConfigureAwait(false);
        }
        finally
        {
            s_cancels.TryRemove(new KeyValuePair<int, CancellationTokenSource>(id, cancel));
            cancel.Dispose();
        }
    }

    /// <summary>
    /// The master no longer wants context <paramref name="id"/>: stop its connect and kill what it
    /// started. Sent only while the spawn's reply is outstanding; one that crosses a finished spawn
    /// leaves a cancelled entry for an id that is never used again (ids are unique in the tree).
    /// </summary>
    public static void Cancel(int id)
    {
        try
        {
            s_cancels.GetOrAdd(id, static _ => new CancellationTokenSource()).Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The spawn ended at this very moment; the master shuts down what it started, if anything.
        }
    }
}
