using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Econtext;

/// <summary>
/// What code running in a context knows about where it runs. In the master, <see cref="IsChild"/> is
/// false and the logger factory discards records.
/// </summary>
public static class CurrentContext
{
    internal static Router? ChildRouter { get; set; }

    internal static ILoggerFactory? ChildLoggerFactory { get; set; }

    /// <summary>True in a process started by Econtext.</summary>
    public static bool IsChild => ChildRouter is not null;

    /// <summary>This context's id; 0 in the master.</summary>
    public static int Id => ChildRouter?.Id ?? 0;

    /// <summary>This context's name, as the master calls it; "master" in the master.</summary>
    public static string Name => ChildRouter?.Name ?? "master";

    /// <summary>Loggers whose records reach the master's logger factory, labelled with this context's name.</summary>
    public static ILoggerFactory LoggerFactory => ChildLoggerFactory ?? NullLoggerFactory.Instance;

    /// <summary>Cancelled when this context starts shutting down.</summary>
    public static CancellationToken ShuttingDown => ChildRouter?.ShuttingDown ?? CancellationToken.None;
}
