using Econtext.Cli.Targets;

namespace Econtext.Cli.Running;

/// <summary>A plain run's contexts: a router of its own, a context per host, each shut down as soon as its host's work is done.</summary>
internal sealed class OneShotContexts : IHostContexts
{
    private readonly Router _router = new();
    private readonly TargetConnector _connector;

    public OneShotContexts(RunSettings settings) => _connector = new TargetConnector(_router, settings);

    public async Task<HostLease> AcquireAsync(TargetHost host, CancellationToken cancellationToken)
    {
        ConnectedHost connected = await _connector.ConnectAsync(host, cancellationToken).ConfigureAwait(false);

        // Each host's processes go as soon as its work is done, so --forks bounds how many run at once.
        return new HostLease(connected.Context, null, _ => connected.ShutdownAsync());
    }

    public ValueTask DisposeAsync() => _router.DisposeAsync();
}
