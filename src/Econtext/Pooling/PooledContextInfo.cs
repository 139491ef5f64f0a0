namespace Econtext;

/// <summary>What a <see cref="ContextPool"/> knows of one kept context, for a status display.</summary>
/// <param name="Context">The context itself (for a health check or a call of one's own; it may be in use).</param>
/// <param name="Key">The key the context is kept under.</param>
/// <param name="Name">The context's name.</param>
/// <param name="RemoteProcessId">The context's process id on its host (0 when not known).</param>
/// <param name="Started">When the context was started.</param>
/// <param name="LastUsed">When its last lease was returned, or when it was started if none has been.</param>
/// <param name="Leases">How many leases are held now.</param>
/// <param name="Uses">How many leases it has given in all.</param>
/// <param name="Reconnects">How many times a context under this key was found gone and started again.</param>
public sealed record PooledContextInfo(Context Context, string Key, string Name, int RemoteProcessId, DateTimeOffset Started, DateTimeOffset LastUsed, int Leases, long Uses, int Reconnects);
