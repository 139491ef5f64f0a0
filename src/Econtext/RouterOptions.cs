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
}
