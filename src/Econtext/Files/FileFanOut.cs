using System.Diagnostics;
using System.Threading.Channels;

namespace Econtext.Files;

/// <summary>
/// One file to many contexts. Contexts the master reaches directly each get their own stream;
/// contexts that share a parent context get one stream to that parent, which copies it to each of
/// them (<see cref="FileRelay"/>): a link carries the file once however many contexts sit behind it.
/// </summary>
[System.Diagnostics.CodeAnalysis.RequiresUnreferencedCode(AotNotes.Calls)]
[System.Diagnostics.CodeAnalysis.RequiresDynamicCode(AotNotes.Calls)]
internal static class FileFanOut
{
    public static async Task<IReadOnlyList<ContextResult<FileTransferResult>>> PushAsync(
        IEnumerable<Context> contexts, string localPath, string remotePath, FileTransferOptions? options, CancellationToken cancellationToken)
    {
        options ??= new FileTransferOptions();
        List<Context> targets = contexts.Distinct().ToList();
        var groups = targets.GroupBy(c => c.Via).ToList();
        var running = new List<Task<IReadOnlyList<ContextResult<FileTransferResult>>>>();
        foreach (IGrouping<Context?, Context> group in groups)
        {
            if (group.Key is null || group.Count() == 1)
            {
                running.AddRange(group.Select(c => Single(c, localPath, remotePath, options, cancellationToken)));
            }
            else
            {
                running.Add(RelayAsync(group.Key, group.ToList(), localPath, remotePath, options, cancellationToken));
            }
        }

        var results = new List<ContextResult<FileTransferResult>>(targets.Count);
        foreach (Task<IReadOnlyList<ContextResult<FileTransferResult>>> task in running)
        {
            results.AddRange(await task.ConfigureAwait(false));
        }

        // In the order the contexts were given.
        return results.OrderBy(r => targets.IndexOf(r.Context)).ToList();
    }

    private static async Task<IReadOnlyList<ContextResult<FileTransferResult>>> Single(Context context, string localPath, string remotePath, FileTransferOptions options, CancellationToken cancellationToken)
    {
        try
        {
            return [new(context, await FileTransfers.PushAsync(context, localPath, remotePath, options, cancellationToken).ConfigureAwait(false), null)];
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return [new(context, null, ex)];
        }
    }

    private static async Task<IReadOnlyList<ContextResult<FileTransferResult>>> RelayAsync(
        Context via, List<Context> targets, string localPath, string remotePath, FileTransferOptions options, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        FileFacts local = FileCopy.Describe(localPath, hash: false);
        if (!local.Exists)
        {
            var missing = new FileNotFoundException($"{localPath} does not exist (pushing it to {remotePath})", localPath);
            return targets.Select(t => new ContextResult<FileTransferResult>(t, null, missing)).ToList();
        }

        var results = new List<ContextResult<FileTransferResult>>();
        var send = new List<Context>();
        if (options.SkipIfSame)
        {
            long length = local.Length;
            Lazy<Task<string?>> localHash = FileTransfers.LocalHash(localPath);
            bool[] same = await Task.WhenAll(targets.Select(async t =>
            {
                try
                {
                    return await FileTransfers.SameAsync(t, localPath, remotePath, length, cancellationToken, localHash).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is RemoteException or EcontextException)
                {
                    return false; // the copy itself will say what is wrong
                }
            })).ConfigureAwait(false);
            for (int i = 0; i < targets.Count; i++)
            {
                if (same[i])
                {
                    results.Add(new(targets[i], new FileTransferResult(remotePath, 0, watch.Elapsed, Skipped: true), null));
                }
                else
                {
                    send.Add(targets[i]);
                }
            }
        }
        else
        {
            send.AddRange(targets);
        }

        if (send.Count == 1)
        {
            results.AddRange(await Single(send[0], localPath, remotePath, options with { SkipIfSame = false }, cancellationToken).ConfigureAwait(false));
            return results;
        }

        if (send.Count == 0)
        {
            return results;
        }

        Channel<byte[]> chunks = FileTransfers.ReadAheadChannel<byte[]>();
        ChannelReader<byte[]> reader = chunks.Reader;
        int chunkSize = options.ChunkSize;
        Task producer = FileTransfers.ProduceAsync(() => FileCopy.SendChunksAsync(localPath, chunkSize, chunks.Writer, cancellationToken), localPath, chunks.Writer);

        int[] ids = send.Select(t => t.Id).ToArray();
        (int mode, long modified, int uid, int gid) = local.KeptBy(options);
        long fileLength = local.Length;
        try
        {
            RelayOutcome[] outcomes = await FileTransfers.ConsumedAsync(
                via.CallAsync(() => FileRelay.WriteEachAsync(ids, remotePath, fileLength, mode, modified, uid, gid, reader), cancellationToken), chunks.Writer, producer).ConfigureAwait(false);
            foreach (RelayOutcome outcome in outcomes)
            {
                Context target = send.First(t => t.Id == outcome.Id);
                results.Add(outcome.Error is null
                    ? new(target, new FileTransferResult(remotePath, outcome.Bytes, watch.Elapsed, Skipped: false), null)
                    : new(target, null, new IOException($"pushing {localPath} to {remotePath} in {target.Name} (relayed by {via.Name}) failed: {outcome.Error}")));
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            results.AddRange(send.Select(t => new ContextResult<FileTransferResult>(t, null, ex)));
        }

        return results;
    }
}
