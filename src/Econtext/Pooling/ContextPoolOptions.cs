namespace Econtext;

/// <summary>How a <see cref="ContextPool"/> keeps its contexts: how long an unused one stays, and how one is checked before reuse.</summary>
public sealed record ContextPoolOptions
{
    /// <summary>
    /// How long a context may go unused (no lease held) before the pool shuts it down; zero or
    /// <see cref="Timeout.InfiniteTimeSpan"/> keeps contexts until they disconnect or the pool is disposed.
    /// At most 24 days. Default 10 minutes, as an ssh ControlPersist a person sets by hand often is.
    /// </summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// How long the round trip that checks a context before it is lent again may take (see
    /// <see cref="Context.PingAsync"/>); past it the context is taken for gone and started again. A
    /// killed process is noticed without it (its pipe ends); this catches a host behind a live
    /// connection that stopped answering. Zero turns the check off; at most 24 days. Default 5 s.
    /// </summary>
    public TimeSpan HealthCheckTimeout { get; init; } = TimeSpan.FromSeconds(5);
}
