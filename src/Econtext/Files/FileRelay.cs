using System.Threading.Channels;
using Econtext.Calls;

namespace Econtext.Files;

/// <summary>
/// Runs in an intermediate: takes one stream of chunks from upstream and feeds it to several of its
/// own children, so a file sent to many contexts behind one hop crosses the link to that hop once.
/// The slowest child sets the pace (each child's channel is small); a child that fails is dropped
/// and the others go on.
/// </summary>
[System.Diagnostics.CodeAnalysis.RequiresUnreferencedCode(AotNotes.Calls)]
[System.Diagnostics.CodeAnalysis.RequiresDynamicCode(AotNotes.Calls)]
internal static class FileRelay
{
    public static async Task<RelayOutcome[]> WriteEachAsync(int[] ids, string path, long length, int mode, long modifiedUtcTicks, int ownerUid, int ownerGid, ChannelReader<byte[]> chunks)
    {
        Router router = CurrentContext.ChildRouter ?? throw new InvalidOperationException("FileRelay runs inside a context");
        var targets = new Context[ids.Length];
        for (int i = 0; i < ids.Length; i++)
        {
            targets[i] = router.FindContext(ids[i]) ?? throw new InvalidOperationException($"context {ids[i]} was not started by {CurrentContext.Name}, so it cannot relay to it");
        }

        var channels = new Channel<byte[]>[ids.Length];
        var calls = new Task<long>[ids.Length];
        var gone = new CancellationTokenSource[ids.Length];
        for (int i = 0; i < ids.Length; i++)
        {
            channels[i] = FileTransfers.ReadAheadChannel<byte[]>();
            ChannelReader<byte[]> reader = channels[i].Reader;
            calls[i] = targets[i].CallAsync(() => FileCopy.WriteAsync(path, length, mode, modifiedUtcTicks, ownerUid, ownerGid, reader));
            CancellationTokenSource stop = gone[i] = new CancellationTokenSource();
            _ = calls[i].ContinueWith(_ => stop.Cancel(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }

        try
        {
            await foreach (byte[] chunk in chunks.ReadAllAsync().ConfigureAwait(false))
            {
                // Shared by every child's stream below: nobody may recycle it.
                ChunkPool.Keep(chunk);
                for (int i = 0; i < channels.Length; i++)
                {
                    if (gone[i].IsCancellationRequested)
                    {
                        continue;
                    }

                    try
                    {
                        await channels[i].Writer.WriteAsync(chunk, gone[i].Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        // That child's copy ended early (it failed); its call says why.
                    }
                }
            }

            foreach (Channel<byte[]> channel in channels)
            {
                channel.Writer.TryComplete();
            }
        }
        catch (Exception ex)
        {
            // Upstream failed: every copy fails with it and leaves its old file in place.
            foreach (Channel<byte[]> channel in channels)
            {
                channel.Writer.TryComplete(ex);
            }
        }

        var outcomes = new RelayOutcome[ids.Length];
        for (int i = 0; i < ids.Length; i++)
        {
            try
            {
                outcomes[i] = new RelayOutcome(ids[i], await calls[i].ConfigureAwait(false), null);
            }
            catch (Exception ex)
            {
                outcomes[i] = new RelayOutcome(ids[i], 0, ex.Message);
            }
            finally
            {
                gone[i].Dispose();
            }
        }

        return outcomes;
    }
}
