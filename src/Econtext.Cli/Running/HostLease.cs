namespace Econtext.Cli.Running;

/// <summary>A host's context for one run, and what ends that use: a shutdown for a one-shot context, a return to the pool for a warm one.</summary>
/// <param name="Context">The context to work in.</param>
/// <param name="ReconnectReason">Set when a warm context was found gone and started again: why it was gone.</param>
/// <param name="End">
/// Ends this use; called once, after the host's work, with true when the work was interrupted (cancelled or
/// timed out): the context is then shut down, so that what ran in it has ended when the command says so.
/// </param>
internal sealed record HostLease(Context Context, string? ReconnectReason, Func<bool, Task> End);
