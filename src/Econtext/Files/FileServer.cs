using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text;
using Econtext.Native;
using Econtext.Routing;
using Econtext.Streams;
using Econtext.Wire;
using Microsoft.Win32.SafeHandles;

namespace Econtext.Files;

/// <summary>
/// The master's side of <see cref="CurrentContext.FetchFileAsync(string, string, CancellationToken)"/>:
/// a context may read a file here only below a path the master shared with that very context
/// (<see cref="Context.ShareFiles"/>). A request is refused when it is relative, names "..", or
/// resolves (symbolic links followed) outside every root shared with the asking context; the file
/// actually opened is checked again through /proc/self/fd, so a link swapped in after the check
/// does not widen access. Only regular files are served: the file is opened without blocking and
/// its type read from the open descriptor, so a FIFO, device or socket below a shared directory is
/// refused at once instead of holding a master thread. Bytes stream back under the credit window,
/// exactly the length the file had when opened; every request gets an answer (if its asker reads).
/// What one stream's requests together make the master hold is bounded by <see cref="FileRequestLane"/>.
/// </summary>
internal sealed class FileServer
{
    private readonly Router router;
    private const int MaxChunk = 1024 * 1024;
    private readonly LockedMap<List<SharedRoot>> _roots = new();
    private readonly LockedMap<CancellationTokenSource> _transfers = new();
    private readonly ConditionalWeakTable<ContextStream, FileRequestLane> _lanes = [];

    /// <summary>Registers what the master accepts from below for shared files: FILE_GET, and CANCEL for the asker's own transfers (their CREDIT goes to <see cref="CreditLedger"/>).</summary>
    public FileServer(Router router)
        : this(router, router.Switch)
    {
    }

    private FileServer(Router router, MessageSwitch table)
    {
        this.router = router;
        table.Add(Handles.FileGet, Policy.FromBelow, OnFileGet, header => header.ReplyTo >= Handles.FirstDynamic);
        table.Add(Handles.Cancel, Policy.FromBelow, (from, message) =>
        {
            // The asker gave up on a file the master was sending it; any other CANCEL from below is
            // an unauthorised command.
            if (!Cancel(message.Header.Src, ControlPayloads.ReadInt32(message.Span)))
            {
                table.Refuse(from, message, "not accepted here (a command needs an ancestor's authority)");
            }
        });
    }

    public IDisposable Share(Context context, string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string full = Path.GetFullPath(path);
        string real = Libc.RealPath(full) ?? throw new FileNotFoundException($"{full} does not exist, so it cannot be shared with {context.Name}", full);
        var root = new SharedRoot(full, real, Directory.Exists(real));
        List<SharedRoot> roots = _roots.GetOrAdd(context.Id, _ => []);
        lock (roots)
        {
            roots.Add(root);
        }

        return new Unshare(() =>
        {
            lock (roots)
            {
                roots.Remove(root);
            }
        });
    }

    private void OnFileGet(ContextStream from, Message message)
    {
        (string path, int chunkSize) = ControlPayloads.ReadFileGet(message.Span);
        MessageHeader header = message.Header;
        _ = Task.Run(() => ServeAsync(header, path, chunkSize));
    }

    /// <summary>
    /// FILE_GET: path (short string) then chunk size; runs on the thread pool. The request counts
    /// against the lane of the stream it came through (<see cref="FileRequestLane"/>): refused when
    /// that lane is full, else it waits for a slot to open a file, then sends under its credit window.
    /// </summary>
    public async Task ServeAsync(MessageHeader request, string path, int chunkSize)
    {
        int asker = request.Src;
        int handle = request.ReplyTo;
        if (router.Routes.RouteTo(asker) is not { } stream)
        {
            return;
        }

        FileRequestLane lane = _lanes.GetValue(stream, static s => new FileRequestLane(s));
        Context? context = router.FindContext(asker);
        string name = context?.Name ?? $"context {asker}";
        if (!lane.TryAccept())
        {
            Refuse(lane, asker, handle, $"the master refused {name} the file {path}: {FileRequestLane.MaxRequests} file requests from {stream.Name} are already waiting; fetch fewer files at once");
            return;
        }

        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(context?.Disconnected ?? CancellationToken.None, router.ShuttingDown);
        if (!_transfers.TryAdd(MapKey.Of(asker, handle), cancel))
        {
            lane.Done();
            return;
        }

        try
        {
            await lane.OpenFileAsync(cancel.Token).ConfigureAwait(false);
            try
            {
                await TransferAsync(lane, asker, handle, name, path, chunkSize, cancel.Token).ConfigureAwait(false);
            }
            finally
            {
                lane.CloseFile();
            }
        }
        catch (OperationCanceledException)
        {
            // The asker cancelled or is gone; it expects nothing more.
        }
        finally
        {
            _transfers.TryRemove(MapKey.Of(asker, handle), out _);
            lane.Done();
        }
    }

    private async Task TransferAsync(FileRequestLane lane, int asker, int handle, string name, string path, int chunkSize, CancellationToken cancellationToken)
    {
        using ItemSender window = router.Credits.Open(StreamKind.File, asker, handle);
        try
        {
            string? refusal = Authorize(asker, path, name, out string real);
            if (refusal is not null)
            {
                router.Statistics.CountDropped();
                await ReplyAsync(lane, asker, handle, MessageFlags.Error, Encoding.UTF8.GetBytes(refusal), cancellationToken).ConfigureAwait(false);
                return;
            }

            await SendAsync(lane, asker, handle, path, real, Math.Clamp(chunkSize, 4096, Math.Min(MaxChunk, router.LargestPayloadChunk)), window, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Whatever reading threw (IOException, NotSupportedException from a file that cannot
            // seek, ...), the asker gets an answer that names the file instead of waiting forever.
            await ReplyAsync(lane, asker, handle, MessageFlags.Error, Encoding.UTF8.GetBytes($"reading {path} on the master failed: {ex.Message}"), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>CANCEL from the asker: stop sending that file. False when the asker has no such transfer.</summary>
    public bool Cancel(int asker, int handle)
    {
        if (!_transfers.TryGetValue(MapKey.Of(asker, handle), out CancellationTokenSource? cancel))
        {
            return false;
        }

        try
        {
            cancel.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }

        return true;
    }

    /// <summary>Null when <paramref name="asker"/> may read <paramref name="path"/>; otherwise why not.</summary>
    private string? Authorize(int asker, string path, string name, out string real)
    {
        real = string.Empty;
        string refused = $"the master refused {name} the file {path}: ";
        if (path.Length == 0 || path.Contains('\0', StringComparison.Ordinal) || !path.StartsWith('/'))
        {
            return refused + "name it by its absolute path on the master";
        }

        if (path.Split('/').Any(segment => segment == ".."))
        {
            return refused + "'..' is not allowed in a path";
        }

        SharedRoot[] roots;
        List<SharedRoot>? shared = _roots.GetValueOrDefault(asker);
        if (shared is null)
        {
            return refused + "the master shared no files with this context (Context.ShareFiles)";
        }

        lock (shared)
        {
            roots = [.. shared];
        }

        // Only then touch the file system: nothing is revealed about paths outside the roots.
        string full = Path.GetFullPath(path);
        if (!roots.Any(r => Below(full, r.Path) || Below(full, r.RealPath)))
        {
            return refused + "it is not below a path the master shared with this context";
        }

        string? resolved = Libc.RealPath(full);
        if (resolved is null)
        {
            return refused + "it does not exist";
        }

        if (!roots.Any(r => r.IsDirectory ? Below(resolved, r.RealPath) : resolved == r.RealPath))
        {
            return refused + $"it resolves to {resolved}, outside what was shared (a symbolic link leads out)";
        }

        if (Directory.Exists(resolved))
        {
            return $"{path} on the master is a directory, not a file";
        }

        real = resolved;
        return null;
    }

    private async Task SendAsync(FileRequestLane lane, int asker, int handle, string path, string real, int chunkSize, ItemSender window, CancellationToken cancellationToken)
    {
        // O_NONBLOCK: opening a FIFO with no writer, or some devices, would otherwise hold this
        // pool thread in open(2) for as long as the other end likes. On a regular file, the only
        // kind served, the flag changes nothing.
        int fd = Libc.Open(real, Libc.ORdonly | Libc.ONonblock | Libc.OCloexec);
        if (fd < 0)
        {
            string why = System.Runtime.InteropServices.Marshal.GetLastPInvokeErrorMessage();
            await ReplyAsync(lane, asker, handle, MessageFlags.Error, Encoding.UTF8.GetBytes($"{path} on the master could not be opened: {why}"), cancellationToken).ConfigureAwait(false);
            return;
        }

        using var file = new SafeFileHandle(fd, ownsHandle: true);
        int type = Libc.FileType(fd);
        if (type != Libc.TypeRegular)
        {
            router.Statistics.CountDropped();
            await ReplyAsync(lane, asker, handle, MessageFlags.Error, Encoding.UTF8.GetBytes($"{path} on the master is {Describe(type)}, not a regular file; only regular files can be fetched"), cancellationToken).ConfigureAwait(false);
            return;
        }

        // What was opened is what was checked, even if a link was swapped in meanwhile.
        string? opened = new FileInfo($"/proc/self/fd/{file.DangerousGetHandle()}").LinkTarget;
        if (opened != real)
        {
            await ReplyAsync(lane, asker, handle, MessageFlags.Error, Encoding.UTF8.GetBytes($"the master refused the file {path}: it changed while being opened"), cancellationToken).ConfigureAwait(false);
            return;
        }

        long length = RandomAccess.GetLength(file);
        int mode = (int)File.GetUnixFileMode(file);
        long modified = File.GetLastWriteTimeUtc(file).Ticks;
        long offset = 0;
        while (offset < length)
        {
            // Credit bounds this transfer; the turn, taken only while the stream's queue has room,
            // bounds all of the stream's transfers together. The buffer is borrowed inside the turn,
            // so transfers that wait hold none.
            await lane.ParkAsync(window.WaitForCreditAsync(cancellationToken)).ConfigureAwait(false);
            if (!await lane.TakeTurnAsync(cancellationToken).ConfigureAwait(false))
            {
                return;
            }

            int want = (int)Math.Min(chunkSize, length - offset);
            byte[] buffer = ArrayPool<byte>.Shared.Rent(want);
            try
            {
                // A regular file (checked above): read on this thread, not as one more pool work item (FileCopy.OnThisThread).
                int read = RandomAccess.Read(file, buffer.AsSpan(0, want), offset);
                if (read == 0)
                {
                    Reply(asker, handle, MessageFlags.Error, Encoding.UTF8.GetBytes($"{path} on the master shrank during the copy: it had {length} bytes, only {offset} could be read"));
                    return;
                }

                offset += read;
                if (!Reply(asker, handle, MessageFlags.More, buffer.AsSpan(0, read)))
                {
                    return;
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
                lane.EndTurn();
            }
        }

        var facts = new byte[20];
        System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(facts, length);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(facts.AsSpan(8), mode);
        System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(facts.AsSpan(12), modified);
        await ReplyAsync(lane, asker, handle, MessageFlags.None, facts, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One message to the asker, queued in its turn (see <see cref="FileRequestLane.TakeTurnAsync"/>).</summary>
    private async Task ReplyAsync(FileRequestLane lane, int asker, int handle, MessageFlags flags, byte[] payload, CancellationToken cancellationToken)
    {
        if (!await lane.TakeTurnAsync(cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        try
        {
            Reply(asker, handle, flags, payload);
        }
        finally
        {
            lane.EndTurn();
        }
    }

    /// <summary>
    /// A request over the lane's limit: counted, and answered only while the stream's queue has room
    /// (a peer that does not read would pile the refusals up too).
    /// </summary>
    private void Refuse(FileRequestLane lane, int asker, int handle, string why)
    {
        router.Statistics.CountDropped();
        if (lane.Stream.HasRoomForAnswers)
        {
            Reply(asker, handle, MessageFlags.Error, Encoding.UTF8.GetBytes(why));
        }
    }

    private bool Reply(int asker, int handle, MessageFlags flags, ReadOnlySpan<byte> payload)
    {
        var frame = new FrameBuilder(payload.Length + 64);
        frame.WriteBytes(payload);
        return router.Outbox.TrySend(asker, handle, Handles.None, flags, frame);
    }

    private static string Describe(int type) => type switch
    {
        Libc.TypeFifo => "a FIFO (named pipe)",
        Libc.TypeCharacterDevice => "a character device",
        Libc.TypeBlockDevice => "a block device",
        Libc.TypeSocket => "a socket",
        Libc.TypeDirectory => "a directory",
        _ => "of a kind that could not be determined",
    };

    private static bool Below(string path, string root) =>
        path == root || (path.StartsWith(root, StringComparison.Ordinal) && (root.EndsWith('/') || path[root.Length] == '/'));

    private sealed record SharedRoot(string Path, string RealPath, bool IsDirectory);

    private sealed class Unshare(Action undo) : IDisposable
    {
        private Action? _undo = undo;

        public void Dispose() => Interlocked.Exchange(ref _undo, null)?.Invoke();
    }
}
