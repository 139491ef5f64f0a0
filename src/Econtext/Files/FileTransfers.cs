using System.Diagnostics;
using System.Threading.Channels;

namespace Econtext.Files;

/// <summary>The master's side of <see cref="Context.PushFileAsync"/> and <see cref="Context.FetchFileAsync"/>.</summary>
internal static class FileTransfers
{
    /// <summary>Chunks read ahead of the wire on the sending side; the credit window bounds the rest.</summary>
    private const int ReadAhead = 4;

    public static async Task<FileTransferResult> PushAsync(Context context, string localPath, string remotePath, FileTransferOptions? options, CancellationToken cancellationToken)
    {
        options ??= new FileTransferOptions();
        var watch = Stopwatch.StartNew();
        FileFacts local = FileCopy.Describe(localPath, hash: false);
        if (!local.Exists)
        {
            throw new FileNotFoundException($"{localPath} does not exist (pushing it to {remotePath} in {context.Name})", localPath);
        }

        if (options.SkipIfSame && await SameAsync(context, localPath, remotePath, local.Length, cancellationToken).ConfigureAwait(false))
        {
            return new FileTransferResult(remotePath, 0, watch.Elapsed, Skipped: true);
        }

        var chunks = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(ReadAhead) { SingleReader = true, SingleWriter = true });
        Task producer = ProduceAsync(localPath, options.ChunkSize, chunks.Writer, cancellationToken);
        ChannelReader<byte[]> reader = chunks.Reader;
        long length = local.Length;
        int mode = options.PreserveMode ? local.Mode : -1;
        long modified = options.PreserveTime ? local.ModifiedUtcTicks : 0;
        long written = await context.CallAsync(() => FileCopy.WriteAsync(remotePath, length, mode, modified, reader), cancellationToken).ConfigureAwait(false);
        await producer.ConfigureAwait(false);
        return new FileTransferResult(remotePath, written, watch.Elapsed, Skipped: false);
    }

    public static async Task<FileTransferResult> FetchAsync(Context context, string remotePath, string localPath, FileTransferOptions? options, CancellationToken cancellationToken)
    {
        options ??= new FileTransferOptions();
        var watch = Stopwatch.StartNew();
        FileFacts existing = FileCopy.Describe(localPath, hash: false);
        if (options.SkipIfSame && existing.Exists && await SameAsync(context, localPath, remotePath, existing.Length, cancellationToken).ConfigureAwait(false))
        {
            return new FileTransferResult(localPath, 0, watch.Elapsed, Skipped: true);
        }

        string temporary = FileCopy.TemporaryBeside(localPath);
        var chunks = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(ReadAhead) { SingleReader = true, SingleWriter = true });
        ChannelWriter<byte[]> writer = chunks.Writer;
        int chunkSize = options.ChunkSize;
        long written = 0;
        try
        {
            Task<FileFacts> call = context.CallAsync(() => FileCopy.ReadAsync(remotePath, chunkSize, writer), cancellationToken);
            await using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0))
            {
                await foreach (byte[] chunk in chunks.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
                {
                    await file.WriteAsync(chunk, cancellationToken).ConfigureAwait(false);
                    written += chunk.Length;
                }
            }

            FileFacts source = await call.ConfigureAwait(false);
            if (written != source.Length)
            {
                throw new IOException($"{remotePath} in {context.Name} changed during the copy: {written} bytes arrived, it had {source.Length}");
            }

            if (options.PreserveMode)
            {
                File.SetUnixFileMode(temporary, (UnixFileMode)source.Mode);
            }

            if (options.PreserveTime)
            {
                File.SetLastWriteTimeUtc(temporary, new DateTime(source.ModifiedUtcTicks, DateTimeKind.Utc));
            }

            File.Move(temporary, localPath, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Local trouble (disk full, permissions): say which file and which context.
            FileCopy.TryDelete(temporary);
            throw new IOException($"fetching {remotePath} from {context.Name} to {localPath} failed: {ex.Message}", ex);
        }
        catch
        {
            FileCopy.TryDelete(temporary);
            throw;
        }

        return new FileTransferResult(localPath, written, watch.Elapsed, Skipped: false);
    }

    public static async Task<DirectoryTransferResult> PushTreeAsync(Context context, string localRoot, string remoteRoot, FileTransferOptions? options, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        List<TreeEntry> entries = FileCopy.ListTree(localRoot);
        int rootMode = (int)File.GetUnixFileMode(localRoot);
        await context.CallAsync(() => FileCopy.MakeDirectory(remoteRoot, rootMode), cancellationToken).ConfigureAwait(false);
        return await CopyTreeAsync(entries, remoteRoot, watch, cancellationToken, async (entry, destination) =>
        {
            if (entry.IsDirectory)
            {
                int mode = entry.Mode;
                await context.CallAsync(() => FileCopy.MakeDirectory(destination, mode), cancellationToken).ConfigureAwait(false);
                return null;
            }

            return await PushAsync(context, Path.Combine(localRoot, entry.RelativePath), destination, options, cancellationToken).ConfigureAwait(false);
        }).ConfigureAwait(false);
    }

    public static async Task<DirectoryTransferResult> FetchTreeAsync(Context context, string remoteRoot, string localRoot, FileTransferOptions? options, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        List<TreeEntry> entries = await context.CallAsync(() => FileCopy.ListTree(remoteRoot), cancellationToken).ConfigureAwait(false);
        FileCopy.MakeDirectory(localRoot, -1);
        return await CopyTreeAsync(entries, localRoot, watch, cancellationToken, async (entry, destination) =>
        {
            if (entry.IsDirectory)
            {
                FileCopy.MakeDirectory(destination, entry.Mode);
                return null;
            }

            return await FetchAsync(context, remoteRoot.TrimEnd('/') + "/" + entry.RelativePath, destination, options, cancellationToken).ConfigureAwait(false);
        }).ConfigureAwait(false);
    }

    /// <summary>Directories first (the list is parents before children), then each regular file; anything else is reported, not copied.</summary>
    private static async Task<DirectoryTransferResult> CopyTreeAsync(
        List<TreeEntry> entries, string destinationRoot, Stopwatch watch, CancellationToken cancellationToken, Func<TreeEntry, string, Task<FileTransferResult?>> copy)
    {
        int copied = 0;
        int skipped = 0;
        long bytes = 0;
        var notCopied = new List<string>();
        foreach (TreeEntry entry in entries)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!entry.IsDirectory && !entry.IsRegularFile)
            {
                notCopied.Add(entry.RelativePath + ": not a regular file or directory (links are not followed)");
                continue;
            }

            FileTransferResult? result = await copy(entry, Path.Combine(destinationRoot, entry.RelativePath)).ConfigureAwait(false);
            if (result is null)
            {
                continue;
            }

            bytes += result.Bytes;
            if (result.Skipped)
            {
                skipped++;
            }
            else
            {
                copied++;
            }
        }

        return new DirectoryTransferResult(destinationRoot, copied, skipped, bytes, watch.Elapsed, notCopied);
    }

    /// <summary>Same size first (cheap), then the same SHA-256 on both sides.</summary>
    private static async Task<bool> SameAsync(Context context, string localPath, string remotePath, long localLength, CancellationToken cancellationToken)
    {
        FileFacts remote = await context.CallAsync(() => FileCopy.Describe(remotePath, false), cancellationToken).ConfigureAwait(false);
        if (!remote.Exists || remote.Length != localLength)
        {
            return false;
        }

        Task<FileFacts> remoteHash = context.CallAsync(() => FileCopy.Describe(remotePath, true), cancellationToken);
        FileFacts local = await Task.Run(() => FileCopy.Describe(localPath, hash: true), cancellationToken).ConfigureAwait(false);
        return string.Equals(local.Sha256, (await remoteHash.ConfigureAwait(false)).Sha256, StringComparison.Ordinal);
    }

    private static async Task ProduceAsync(string path, int chunkSize, ChannelWriter<byte[]> chunks, CancellationToken cancellationToken)
    {
        try
        {
            await FileCopy.SendChunksAsync(path, chunkSize, chunks, cancellationToken).ConfigureAwait(false);
            chunks.TryComplete();
        }
        catch (Exception ex)
        {
            chunks.TryComplete(new IOException($"reading {path} failed: {ex.Message}", ex));
        }
    }
}
