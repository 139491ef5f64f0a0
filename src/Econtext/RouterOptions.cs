using Microsoft.Extensions.Logging;

namespace Econtext;

/// <summary>Settings of a <see cref="Router"/>, fixed when it is created.</summary>
public sealed record RouterOptions
{
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
