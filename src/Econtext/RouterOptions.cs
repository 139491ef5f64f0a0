using Microsoft.Extensions.Logging;

namespace Econtext;

/// <summary>Settings of a <see cref="Router"/>, fixed when it is created.</summary>
public sealed record RouterOptions
{
    /// <summary>The default <see cref="MaxMessageSize"/>: 128 MiB.</summary>
    public const int DefaultMaxMessageSize = 128 * 1024 * 1024;

    /// <summary>
    /// Receives the children's stdout, stderr and log records under categories that start with the
    /// context's name (<c>worker.stdout</c>, <c>worker.stderr</c>, <c>worker.My.Category</c>), and
    /// Econtext's own diagnostics under <c>Econtext.*</c>. Without one, child output goes to this
    /// process's stderr, each line prefixed with the context's name.
    /// </summary>
    public ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>Largest message, header excluded, that is sent or accepted. Children get the same limit.</summary>
    public int MaxMessageSize { get; init; } = DefaultMaxMessageSize;

    /// <summary>How long a shut down or abandoned child may take to exit before it is killed.</summary>
    public TimeSpan ShutdownGracePeriod { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How often a router asks each context it started directly whether it is still there, when
    /// nothing has arrived from it for that long. Zero or <see cref="Timeout.InfiniteTimeSpan"/>
    /// turns heartbeats off. Contexts started through others are asked by their own parent, with
    /// these same settings.
    /// </summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// A context from which nothing at all, not even an answer to a heartbeat, has arrived for this
    /// long is taken for gone (a stopped process, a hung host behind a live ssh connection): its
    /// calls fail with <see cref="ContextDisconnectedException"/> saying so, and its process is
    /// ended. Must be longer than <see cref="HeartbeatInterval"/>. Zero or
    /// <see cref="Timeout.InfiniteTimeSpan"/> turns heartbeats off.
    /// </summary>
    /// <remarks>
    /// 30 s: a person waiting on a frozen context gives up on it after about that long, while a
    /// context that is merely busy (long garbage collections, a loaded or swapping host) answers
    /// within seconds, because heartbeats are answered on its receive thread, never queued behind
    /// its calls. ssh's own keepalive, when on, takes 45 s with Econtext's defaults, and local,
    /// sudo, su and doas contexts have none.
    /// </remarks>
    public TimeSpan HeartbeatTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// When a target has no .NET runtime Econtext can use, send it a pruned copy of this process's
    /// own runtime (about 14 MB compressed, once per target) and keep it in a cache folder there. This
    /// is the one thing Econtext writes to a target's disk; with false such a target fails with
    /// <see cref="ConnectionFailure.RuntimeNotFound"/>. Never used when a DotnetPath is given.
    /// </summary>
    public bool ShipRuntime { get; init; } = true;

    /// <summary>
    /// Where a shipped runtime is kept on targets, one folder per runtime build
    /// (<c>10.0.12-linux-x64-1a2b3c4d5e6f</c>); a leading <c>~/</c> is the target user's home. Default:
    /// <c>$XDG_CACHE_HOME/econtext/runtime</c>, else <c>~/.cache/econtext/runtime</c>.
    /// </summary>
    public string? RuntimeCacheDirectory { get; init; }
}
