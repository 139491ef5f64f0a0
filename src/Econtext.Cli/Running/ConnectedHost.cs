namespace Econtext.Cli.Running;

/// <summary>The context a command works in, and the one it was started through for become (its ssh or local context).</summary>
internal sealed record ConnectedHost(Context Context, Context? Through)
{
    /// <summary>Shuts down the host's outermost context, which takes everything below it along.</summary>
    public async Task ShutdownAsync()
    {
        try
        {
            await (Through ?? Context).ShutdownAsync().ConfigureAwait(false);
        }
        catch (EcontextException)
        {
            // Already gone: a host that died has nothing left to shut down.
        }
    }
}
