using System.Diagnostics;
using System.Threading.Channels;
using Econtext.Calls;

namespace Econtext.Files;

/// <summary>The master's side of <see cref="Context.PushFileAsync"/> and <see cref="Context.FetchFileAsync"/>.</summary>
[System.Diagnostics.CodeAnalysis.RequiresUnreferencedCode(AotNotes.Calls)]
[System.Diagnostics.CodeAnalysis.RequiresDynamicCode(AotNotes.Calls)]
internal static class FileTransfers
{
    /// <summary>Chunks read ahead of the wire on the sending side; the credit window bounds the rest.</summary>
    private const int ReadAhead = 4;

    /// <summary>The few chunks (or pieces) buffered between a file's reader and the call that sends them on.</summary>
    internal static Channel<T> ReadAheadChannel<T>() =>
        Channel.CreateBounded<T>(new BoundedChannelOptions(ReadAhead) { SingleReader = true, SingleWriter = true });

    public static async Task<FileTransferResult> PushAsync(Context context, string localPath, string remotePath, FileTransferOptions? options, CancellationToken cancellationToken)
    {
        options ??= new FileTransferOptions();
        var watch = Stopwatch.StartNew();
        FileFacts local = FileCopy.Describe(localPath, hash: false);
        if (!local.Exists)
        {
            throw Directory.Exists(localPath)
                ? new IOException($"{localPath} is a directory, not a file (pushing it to {remotePath} in {context.Name}; PushDirectoryAsync copies trees)")
                : new FileNotFoundException($"{localPath} does not exist (pushing it to {remotePath} in {context.Name})", localPath);
        }

        // With a Mode, a file of the same bytes but another mode is not the same: it is written again.
        if (options.SkipIfSame && await SameAsync(context, localPath, remotePath, local.Length, cancellationToken, remoteMode: options.Mode is UnixFileMode wanted ? (int)wanted : -1).ConfigureAwait(false))
        {
            return new FileTransferResult(remotePath, 0, watch.Elapsed, Skipped: true);
        }

        int chunkSize = options.ChunkSize;
        (int mode, long modified, int uid, int gid) = local.KeptBy(options);
        long written = await SendAsync(context, remotePath, local.Length, mode, modified, uid, gid, chunks => FileCopy.SendChunksAsync(localPath, chunkSize, chunks, cancellationToken), localPath, cancellationToken).ConfigureAwait(false);
        return new FileTransferResult(remotePath, written, watch.Elapsed, Skipped: false);
    }

    /// <summary>Bytes from <paramref name="source"/> (read to its end) to a file in the context.</summary>
    public static async Task<FileTransferResult> PushStreamAsync(Context context, Stream source, string remotePath, FileTransferOptions? options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        options ??= new FileTransferOptions();
        var watch = Stopwatch.StartNew();
        int chunkSize = options.ChunkSize;
        long written = await SendAsync(context, remotePath, -1, options.Mode is UnixFileMode mode ? (int)mode : -1, 0, -1, -1, chunks => FileCopy.SendChunksAsync(source, chunkSize, chunks, cancellationToken), $"the source stream for {remotePath} in {context.Name}", cancellationToken).ConfigureAwait(false);
        return new FileTransferResult(remotePath, written, watch.Elapsed, Skipped: false);
    }

    /// <summary>
    /// Both pushes: <paramref name="read"/> fills a read-ahead channel beside the call that writes its
    /// chunks to <paramref name="remotePath"/> (length, mode, time and owner as
    /// <see cref="FileCopy.WriteAsync"/> takes them); returns the bytes written there.
    /// </summary>
    private static async Task<long> SendAsync(Context context, string remotePath, long length, int mode, long modified, int uid, int gid, Func<ChannelWriter<byte[]>, Task> read, string what, CancellationToken cancellationToken)
    {
        Channel<byte[]> chunks = ReadAheadChannel<byte[]>();
        ChannelReader<byte[]> reader = chunks.Reader;
        Task producer = ProduceAsync(() => read(chunks.Writer), what, chunks.Writer);
        return await ConsumedAsync(context.CallAsync(() => FileCopy.WriteAsync(remotePath, length, mode, modified, uid, gid, reader), cancellationToken), chunks.Writer, producer).ConfigureAwait(false);
    }

    /// <summary>A file in the context, written to <paramref name="destination"/> as it arrives.</summary>
    public static async Task<FileTransferResult> FetchStreamAsync(Context context, string remotePath, Stream destination, FileTransferOptions? options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(destination);
        options ??= new FileTransferOptions();
        var watch = Stopwatch.StartNew();
        FileFacts source = await ReceiveAsync(context, remotePath, destination, options.ChunkSize, cancellationToken).ConfigureAwait(false);
        return new FileTransferResult(remotePath, source.Length, watch.Elapsed, Skipped: false);
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

        FileFacts source;
        try
        {
            source = await FileCopy.ReplaceAsync(localPath, file => ReceiveAsync(context, remotePath, file, options.ChunkSize, cancellationToken), facts => facts.KeptBy(options)).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Local trouble (disk full, permissions): say which file and which context.
            throw new IOException($"fetching {remotePath} from {context.Name} to {localPath} failed: {ex.Message}", ex);
        }

        return new FileTransferResult(localPath, source.Length, watch.Elapsed, Skipped: false);
    }

    /// <summary>
    /// Both fetches: the context reads the file into a channel, chunks are written to
    /// <paramref name="destination"/> as they arrive; returns what the file was, once every byte it had arrived.
    /// </summary>
    private static async Task<FileFacts> ReceiveAsync(Context context, string remotePath, Stream destination, int chunkSize, CancellationToken cancellationToken)
    {
        Channel<byte[]> chunks = ReadAheadChannel<byte[]>();
        ChannelWriter<byte[]> writer = chunks.Writer;
        using var abandon = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task<FileFacts> call = context.CallAsync(() => FileCopy.ReadAsync(remotePath, chunkSize, writer, CancellationToken.None), abandon.Token);
        long written = 0;
        bool direct = FileCopy.OnThisThread(destination);
        try
        {
            await foreach (byte[] chunk in chunks.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                await FileCopy.WriteChunkAsync(destination, direct, chunk, cancellationToken).ConfigureAwait(false);
                written += chunk.Length;
                ChunkPool.ReturnConsumed(chunk);
            }
        }
        catch
        {
            // Stop the sender: it would otherwise wait for credit with the file open.
            await AbandonAsync(abandon, call).ConfigureAwait(false);
            throw;
        }

        FileFacts source = await call.ConfigureAwait(false);
        return written == source.Length
            ? source
            : throw new IOException($"{remotePath} in {context.Name} changed during the copy: {written} bytes arrived, it had {source.Length}");
    }

    public static async Task<DirectoryTransferResult> PushTreeAsync(Context context, string localRoot, string remoteRoot, FileTransferOptions? options, CancellationToken cancellationToken)
    {
        options ??= new FileTransferOptions();
        var watch = Stopwatch.StartNew();
        List<TreeEntry> entries;
        try
        {
            entries = FileCopy.ListTree(localRoot);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"pushing {localRoot} to {remoteRoot} in {context.Name} failed: {ex.Message}", ex);
        }

        (string[] directories, int[] directoryModes, List<TreeEntry> files, List<string> notCopied) = Split(entries);
        // Without PreserveMode, new directories get the target's default (0755 usually), as Ansible's copy.
        int rootMode = options.PreserveMode ? (int)File.GetUnixFileMode(localRoot) : -1;
        int[] newModes = options.PreserveMode ? directoryModes : [.. directoryModes.Select(_ => -1)];
        await context.CallAsync(() => TreeCopy.MakeDirectories(remoteRoot, rootMode, directories, newModes), cancellationToken).ConfigureAwait(false);

        string[] paths = files.Select(f => f.RelativePath).ToArray();
        bool[] same = new bool[paths.Length];
        if (options.SkipIfSame && paths.Length > 0)
        {
            long[] lengths = files.Select(f => f.Length).ToArray();
            int wantedMode = options.Mode is UnixFileMode wanted ? (int)wanted : -1;
            string?[] remote = await context.CallAsync(() => TreeCopy.HashesWhereSameLength(remoteRoot, paths, lengths, false, wantedMode), cancellationToken).ConfigureAwait(false);
            same = await Task.Run(() => remote.Select((hash, i) => hash is not null && hash == TreeCopy.Sha256(Path.Combine(localRoot, paths[i]))).ToArray(), cancellationToken).ConfigureAwait(false);
        }

        string[] send = paths.Where((_, i) => !same[i]).ToArray();
        long bytes = 0;
        if (send.Length > 0)
        {
            Channel<FilePiece> pieces = ReadAheadChannel<FilePiece>();
            ChannelReader<FilePiece> reader = pieces.Reader;
            Task producer = ProduceTreeAsync(localRoot, send, options, pieces.Writer);
            bytes = await context.CallAsync(() => TreeCopy.WriteTreeAsync(remoteRoot, reader, CancellationToken.None), cancellationToken).ConfigureAwait(false);
            await producer.ConfigureAwait(false);
        }

        return new DirectoryTransferResult(remoteRoot, send.Length, paths.Length - send.Length, bytes, watch.Elapsed, notCopied);
    }

    public static async Task<DirectoryTransferResult> FetchTreeAsync(Context context, string remoteRoot, string localRoot, FileTransferOptions? options, CancellationToken cancellationToken)
    {
        options ??= new FileTransferOptions();
        var watch = Stopwatch.StartNew();
        List<TreeEntry> entries = await context.CallAsync(() => FileCopy.ListTree(remoteRoot), cancellationToken).ConfigureAwait(false);

        // The context chose these names: none may lead outside localRoot here.
        foreach (TreeEntry entry in entries)
        {
            TreeCopy.CheckRelative(entry.RelativePath);
        }

        (string[] directories, int[] directoryModes, List<TreeEntry> files, List<string> notCopied) = Split(entries);
        try
        {
            TreeCopy.MakeDirectories(localRoot, -1, directories, options.PreserveMode ? directoryModes : [.. directoryModes.Select(_ => -1)]);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"fetching {remoteRoot} from {context.Name} to {localRoot} failed: {ex.Message}", ex);
        }

        string[] paths = files.Select(f => f.RelativePath).ToArray();
        bool[] same = new bool[paths.Length];
        if (options.SkipIfSame && paths.Length > 0)
        {
            long[] lengths = files.Select(f => f.Length).ToArray();
            Task<string?[]> local = Task.Run(() => TreeCopy.HashesWhereSameLength(localRoot, paths, lengths, false, -1), cancellationToken);
            string?[] here = await local.ConfigureAwait(false);
            string[] candidates = paths.Where((_, i) => here[i] is not null).ToArray();
            if (candidates.Length > 0)
            {
                long[] candidateLengths = files.Where((_, i) => here[i] is not null).Select(f => f.Length).ToArray();
                string?[] there = await context.CallAsync(() => TreeCopy.HashesWhereSameLength(remoteRoot, candidates, candidateLengths, true, -1), cancellationToken).ConfigureAwait(false);
                var sameNames = candidates.Where((p, i) => there[i] is not null && there[i] == here[Array.IndexOf(paths, p)]).ToHashSet(StringComparer.Ordinal);
                same = paths.Select(sameNames.Contains).ToArray();
            }
        }

        string[] fetch = paths.Where((_, i) => !same[i]).ToArray();
        long bytes = 0;
        if (fetch.Length > 0)
        {
            Channel<FilePiece> pieces = ReadAheadChannel<FilePiece>();
            ChannelWriter<FilePiece> writer = pieces.Writer;
            int chunkSize = options.ChunkSize;
            int fileMode = FileMode(options);
            bool keepTime = options.PreserveTime;
            bool keepOwner = options.PreserveOwner;
            if (keepOwner && !Environment.IsPrivilegedProcess)
            {
                throw new UnauthorizedAccessException($"keeping the owner of {remoteRoot}'s files needs root here (the master runs as {Environment.UserName}); fetch without PreserveOwner");
            }

            using var abandon = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            Task call = context.CallAsync(() => TreeCopy.ReadTreeAsync(remoteRoot, fetch, chunkSize, fileMode, keepTime, keepOwner, writer, CancellationToken.None), abandon.Token);
            try
            {
                bytes = await TreeCopy.WriteTreeAsync(localRoot, pieces.Reader, fetch.ToHashSet(StringComparer.Ordinal), cancellationToken).ConfigureAwait(false);
            }
            catch (IOException ex)
            {
                await AbandonAsync(abandon, call).ConfigureAwait(false);
                throw new IOException($"fetching {remoteRoot} from {context.Name} to {localRoot} failed: {ex.Message}", ex);
            }
            catch
            {
                await AbandonAsync(abandon, call).ConfigureAwait(false);
                throw;
            }

            await call.ConfigureAwait(false);
        }

        return new DirectoryTransferResult(localRoot, fetch.Length, paths.Length - fetch.Length, bytes, watch.Elapsed, notCopied);
    }

    /// <summary>Directories (parents first, as listed), regular files, and what is neither (links, devices), which is reported and not copied.</summary>
    private static (string[] Directories, int[] Modes, List<TreeEntry> Files, List<string> NotCopied) Split(List<TreeEntry> entries)
    {
        List<TreeEntry> directories = entries.Where(e => e.IsDirectory).ToList();
        List<TreeEntry> files = entries.Where(e => e.IsRegularFile).ToList();
        List<string> notCopied = entries.Where(e => !e.IsDirectory && !e.IsRegularFile)
            .Select(e => e.RelativePath + ": not a regular file or directory (a device, a socket, a pipe, a link to nothing, or a link back up the tree)").ToList();
        return (directories.Select(d => d.RelativePath).ToArray(), directories.Select(d => d.Mode).ToArray(), files, notCopied);
    }

    /// <summary>The mode a tree's files get, as <see cref="TreeCopy.ReadTreeAsync"/> takes it.</summary>
    private static int FileMode(FileTransferOptions options) =>
        options.Mode is UnixFileMode mode ? (int)mode : options.PreserveMode ? -2 : -1;

    private static async Task ProduceTreeAsync(string root, string[] paths, FileTransferOptions options, ChannelWriter<FilePiece> pieces)
    {
        try
        {
            await Task.Yield();
            await TreeCopy.ReadTreeAsync(root, paths, options.ChunkSize, FileMode(options), options.PreserveTime, options.PreserveOwner, pieces, CancellationToken.None).ConfigureAwait(false);
            pieces.TryComplete();
        }
        catch (Exception ex)
        {
            pieces.TryComplete(ex);
        }
    }

    /// <summary>The local side of a fetch failed: cancel the remote reader (so it closes its file) and wait for it to end.</summary>
    private static async Task AbandonAsync(CancellationTokenSource abandon, Task call)
    {
        await abandon.CancelAsync().ConfigureAwait(false);
        try
        {
            await call.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or RemoteException or EcontextException or IOException)
        {
            // The local failure is the one to report.
        }
    }

    /// <summary>Same size (and <paramref name="remoteMode"/>, unless -1) first (cheap), then the same SHA-256 on both sides.</summary>
    internal static async Task<bool> SameAsync(Context context, string localPath, string remotePath, long localLength, CancellationToken cancellationToken, Lazy<Task<string?>>? localHash = null, int remoteMode = -1)
    {
        FileFacts remote = await context.CallAsync(() => FileCopy.Describe(remotePath, false), cancellationToken).ConfigureAwait(false);
        if (!remote.Exists || remote.Length != localLength || (remoteMode >= 0 && remote.Mode != remoteMode))
        {
            return false;
        }

        Task<FileFacts> remoteHash = context.CallAsync(() => FileCopy.Describe(remotePath, true), cancellationToken);
        string? local = await (localHash ?? LocalHash(localPath)).Value.ConfigureAwait(false);
        return string.Equals(local, (await remoteHash.ConfigureAwait(false)).Sha256, StringComparison.Ordinal);
    }

    /// <summary>The local file's SHA-256, computed once however many contexts compare against it.</summary>
    internal static Lazy<Task<string?>> LocalHash(string localPath) => new(() => Task.Run(() => FileCopy.Describe(localPath, hash: true).Sha256));

    /// <summary>
    /// The result of the call that consumes <paramref name="chunks"/>, once <paramref name="producer"/>
    /// has ended too. When the call fails the channel is closed first: the producer, waiting for room
    /// that will never come, stops and closes the source at once (it used to stay open until the
    /// garbage collector found the abandoned channel).
    /// </summary>
    internal static async Task<T> ConsumedAsync<T>(Task<T> call, ChannelWriter<byte[]> chunks, Task producer)
    {
        try
        {
            return await call.ConfigureAwait(false);
        }
        catch (Exception)
        {
            chunks.TryComplete();
            throw;
        }
        finally
        {
            await producer.ConfigureAwait(false);
        }
    }

    /// <summary>Runs <paramref name="send"/> beside the call that consumes its chunks; ends the channel with its outcome (a failure names <paramref name="what"/>).</summary>
    internal static Task ProduceAsync(Func<Task> send, string what, ChannelWriter<byte[]> chunks) => Task.Run(
        async () =>
        {
            try
            {
                await send().ConfigureAwait(false);
                chunks.TryComplete();
            }
            catch (Exception ex)
            {
                chunks.TryComplete(new IOException($"reading {what} failed: {ex.Message}", ex));
            }
        },
        CancellationToken.None);
}
