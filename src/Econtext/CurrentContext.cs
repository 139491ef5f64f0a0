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

    /// <summary>
    /// Copies a file from the master to <paramref name="localPath"/> here: chunk by chunk, to a
    /// temporary name beside it, then renamed, with the master's mode and modification time. The
    /// master serves only what it shared with this context (<see cref="Context.ShareFiles"/>);
    /// anything else is refused with <see cref="UnauthorizedAccessException"/>.
    /// </summary>
    /// <param name="masterPath">The file's absolute path on the master.</param>
    /// <param name="localPath">Where to write it in this context.</param>
    /// <param name="cancellationToken">Stops the copy, here and on the master.</param>
    public static Task<FileTransferResult> FetchFileAsync(string masterPath, string localPath, CancellationToken cancellationToken = default) =>
        Files.MasterFileFetch.ToFileAsync(masterPath, localPath, cancellationToken);

    /// <summary>Writes a file the master shared with this context to <paramref name="destination"/>; returns its length.</summary>
    public static async Task<long> FetchFileAsync(string masterPath, Stream destination, CancellationToken cancellationToken = default) =>
        (await Files.MasterFileFetch.CopyAsync(masterPath, destination, cancellationToken).ConfigureAwait(false)).Length;
}
