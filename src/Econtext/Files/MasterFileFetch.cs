using System.Diagnostics;

namespace Econtext.Files;

/// <summary>In a context: <see cref="CurrentContext.FetchFileAsync(string, string, CancellationToken)"/> and its stream form.</summary>
internal static class MasterFileFetch
{
    private const int ChunkSize = 256 * 1024;

    public static async Task<FileTransferResult> ToFileAsync(string masterPath, string localPath, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(localPath);
        var watch = Stopwatch.StartNew();
        try
        {
            // The master's mode and time; the copy belongs to whoever this context runs as.
            FileFacts facts = await FileCopy.ReplaceAsync(localPath, file => CopyAsync(masterPath, file, cancellationToken), copied => (copied.Mode, copied.ModifiedUtcTicks, -1, -1)).ConfigureAwait(false);
            return new FileTransferResult(localPath, facts.Length, watch.Elapsed, Skipped: false);
        }
        catch (Exception ex) when (ex is IOException && ex is not FileNotFoundException)
        {
            throw new IOException($"fetching {masterPath} from the master to {localPath} in {CurrentContext.Name} failed: {ex.Message}", ex);
        }
    }

    /// <summary>Writes the master's file to <paramref name="destination"/>; returns its length, mode and time.</summary>
    public static async Task<FileFacts> CopyAsync(string masterPath, Stream destination, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(masterPath);
        ArgumentNullException.ThrowIfNull(destination);
        if (masterPath.Length > 4096)
        {
            throw new ArgumentException("a path of more than 4096 characters", nameof(masterPath));
        }

        Router router = CurrentContext.ChildRouter
            ?? throw new InvalidOperationException("CurrentContext.FetchFileAsync runs in a context; the master reads its own files directly");
        (int handle, PendingFile pending) = router.Child!.RequestMasterFile(masterPath, ChunkSize);
        bool finished = false;
        try
        {
            long written = 0;
            bool direct = FileCopy.OnThisThread(destination);
            await foreach (byte[] chunk in pending.Chunks.TakeAllAsync(cancellationToken).ConfigureAwait(false))
            {
                await FileCopy.WriteChunkAsync(destination, direct, chunk, cancellationToken).ConfigureAwait(false);
                written += chunk.Length;
            }

            FileFacts facts = await pending.Facts.ConfigureAwait(false);
            finished = true;
            return written == facts.Length
                ? facts
                : throw new IOException($"{masterPath} on the master: {written} bytes arrived, it announced {facts.Length}");
        }
        finally
        {
            if (!finished)
            {
                router.Child!.AbandonMasterFile(handle);
            }
        }
    }
}
