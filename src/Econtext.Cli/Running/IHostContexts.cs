using Econtext.Cli.Targets;

namespace Econtext.Cli.Running;

/// <summary>Where a run's contexts come from: started for this run and shut down after each host, or kept warm by the agent.</summary>
internal interface IHostContexts : IAsyncDisposable
{
    /// <summary>The context to work on <paramref name="host"/> in; transport failures are thrown as <see cref="ConnectionException"/>.</summary>
    Task<HostLease> AcquireAsync(TargetHost host, CancellationToken cancellationToken);
}
