using Econtext.Cli.Targets;

namespace Econtext.Cli.Running;

/// <summary>A command's work on one host, once connected. It may update <see cref="HostProgress.Detail"/> as it goes.</summary>
internal delegate Task<HostWorkResult> HostWork(TargetHost host, Context context, HostProgress progress, CancellationToken cancellationToken);
