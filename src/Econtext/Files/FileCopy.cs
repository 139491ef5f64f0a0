using System.Security.Cryptography;
using System.Threading.Channels;
using Econtext.Calls;

namespace Econtext.Files;

/// <summary>
/// Both ends of a file copy. The methods that run in a context are called like any user method; the
/// bytes travel through a channel parameter, chunk by chunk under the credit window, so no side ever
/// holds more than a few chunks. A copy is written to a temporary name beside the destination and
/// renamed over it: a reader never sees half a file, and a failed copy leaves the old file intact.
/// </summary>
internal static class FileCopy
{
    /// <summary>The file at <paramref name="path"/>, or the file a link there leads to (as cp, cat and Ansible's fetch see it).</summary>
    public static FileFacts Describe(string path, bool hash)
    {
        // .NET reports a link's own size and mode (lstat): a link's facts are its final target's.
        FileInfo? info = Followed(path);
        if (info is null || !info.Exists)
        {
            return new FileFacts(false, 0, null, 0, 0);
        }

        path = info.FullName;

        string? sha = null;
        if (hash)
        {
            using FileStream stream = File.OpenRead(path);
            sha = Convert.ToHexString(SHA256.HashData(stream));
        }

        (int uid, int gid) = Native.Libc.Owner(path);
        return new FileFacts(true, info.Length, sha, (int)File.GetUnixFileMode(path), info.LastWriteTimeUtc.Ticks, uid, gid);
    }

    /// <summary>Runs where the file is written: chunks in, a temporary file, then the rename.</summary>
    /// <param name="path">The destination.</param>
    /// <param name="length">The bytes the source announced; -1 when it does not know (a stream).</param>
    /// <param name="mode">Permission bits to give the copy, or -1 for the default (see <see cref="PutInPlace"/>).</param>
    /// <param name="modifiedUtcTicks">Modification time to give the copy, or 0 for now.</param>
    /// <param name="ownerUid">Numeric owner to give the copy (needs root), or -1.</param>
    /// <param name="ownerGid">Numeric group to give the copy, with the owner.</param>
    /// <param name="chunks">The bytes.</param>
    public static async Task<long> WriteAsync(string path, long length, int mode, long modifiedUtcTicks, int ownerUid, int ownerGid, ChannelReader<byte[]> chunks)
    {
        string where = $"{path} in {CurrentContext.Name}";
        if (ownerUid >= 0 && !Environment.IsPrivilegedProcess)
        {
            // Before a byte is written: the whole copy would only be thrown away at the end.
            throw new IOException($"writing {where} failed: keeping the owner ({ownerUid}:{ownerGid}) needs root, and {CurrentContext.Name} runs as {Environment.UserName}; copy without PreserveOwner, or as root (sudo)");
        }

        try
        {
            return await ReplaceAsync(path, ReceiveAsync, _ => (mode, modifiedUtcTicks, ownerUid, ownerGid)).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            throw new IOException($"writing {where} failed: {ex.Message}", ex);
        }

        async Task<long> ReceiveAsync(FileStream file)
        {
            long written = 0;
            await foreach (byte[] chunk in chunks.ReadAllAsync().ConfigureAwait(false))
            {
                // Our own temporary regular file: written on this thread (see OnThisThread).
                file.Write(chunk);
                written += chunk.Length;
                ChunkPool.ReturnConsumed(chunk);
            }

            if (length >= 0 && written != length)
            {
                throw new IOException($"the source sent {written} bytes, not the {length} it announced (it changed during the copy)");
            }

            file.Flush(flushToDisk: false);
            return written;
        }
    }

    /// <summary>
    /// Writes <paramref name="path"/> the safe way: <paramref name="fill"/> writes the bytes into a
    /// new temporary file beside it, which then gets what <paramref name="keep"/> says (from what
    /// <paramref name="fill"/> returned) and is renamed over it by <see cref="PutInPlace"/>. Whatever
    /// ends the copy early (an error, a cancel, the context unwinding its calls before it exits),
    /// the temporary file is removed and the old file stays as it was.
    /// </summary>
    public static async Task<T> ReplaceAsync<T>(string path, Func<FileStream, Task<T>> fill, Func<T, (int Mode, long ModifiedUtcTicks, int Uid, int Gid)> keep)
    {
        string temporary = TemporaryBeside(path);
        try
        {
            T result;
            await using (FileStream file = CreateTemporary(temporary))
            {
                result = await fill(file).ConfigureAwait(false);
            }

            (int mode, long modified, int uid, int gid) = keep(result);
            PutInPlace(temporary, path, mode, modified, uid, gid);
            return result;
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
    }

    /// <summary>Runs where the file is read: its chunks out, then what it was.</summary>
    public static async Task<FileFacts> ReadAsync(string path, int chunkSize, ChannelWriter<byte[]> chunks, CancellationToken cancellationToken)
    {
        try
        {
            FileFacts facts = Describe(path, hash: false);
            if (!facts.Exists)
            {
                throw Directory.Exists(path)
                    ? new IOException($"{path} is a directory, not a file (FetchDirectoryAsync copies trees)")
                    : new FileNotFoundException($"{path} does not exist", path);
            }

            await SendChunksAsync(path, chunkSize, chunks, cancellationToken).ConfigureAwait(false);
            return facts;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw new IOException($"reading {path} in {CurrentContext.Name} failed: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// The file at <paramref name="path"/>, or for a link its final target, whose size, mode and
    /// time are then the ones reported; null for a link to nothing or a loop of links.
    /// </summary>
    private static FileInfo? Followed(string path)
    {
        var item = new FileInfo(path);
        if (item.LinkTarget is null)
        {
            return item;
        }

        try
        {
            return item.ResolveLinkTarget(returnFinalTarget: true) is FileSystemInfo target ? new FileInfo(target.FullName) : null;
        }
        catch (IOException)
        {
            return null; // a loop of links (ELOOP)
        }
    }

    /// <summary>
    /// Every directory and file below <paramref name="root"/>, parents before children. Links are
    /// followed (as Ansible's copy does): a link to a file is listed as that file, a link to a
    /// directory as that directory with what is below it; a link to nothing, or to a directory
    /// that contains the link (a loop), is listed as neither, and not copied.
    /// </summary>
    public static List<TreeEntry> ListTree(string root)
    {
        if (!Directory.Exists(root))
        {
            throw new DirectoryNotFoundException($"{root} is not a directory in {CurrentContext.Name}");
        }

        try
        {
            return ListTreeBelow(root);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"listing {root} in {CurrentContext.Name} failed: {ex.Message}", ex);
        }
    }

    private static List<TreeEntry> ListTreeBelow(string root)
    {
        var entries = new List<TreeEntry>();
        var pending = new Queue<(string Path, string Relative, string[] Ancestors)>();
        pending.Enqueue((root, "", [Native.Libc.RealPath(root) ?? root]));
        while (pending.Count > 0)
        {
            (string directory, string relativeDirectory, string[] ancestors) = pending.Dequeue();
            foreach (FileSystemInfo item in new DirectoryInfo(directory).EnumerateFileSystemInfos().OrderBy(i => i.Name, StringComparer.Ordinal))
            {
                // Named as listed (a followed link keeps its own name); judged by what it leads to
                // (stat, not .NET's view of a link, which is the link's own size and mode).
                string relative = relativeDirectory.Length == 0 ? item.Name : relativeDirectory + "/" + item.Name;
                (int Type, int Mode, long Size)? stat = Native.Libc.StatFollowed(item.FullName);
                bool isDirectory = stat?.Type == Native.Libc.TypeDirectory;
                string? real = isDirectory ? Native.Libc.RealPath(item.FullName) : null;
                if (isDirectory && (real is null || ancestors.Contains(real, StringComparer.Ordinal)))
                {
                    isDirectory = false; // a link back up the tree: following it would never end
                }

                bool isFile = stat?.Type == Native.Libc.TypeRegular;
                entries.Add(new TreeEntry(relative, isDirectory, isFile, isDirectory || isFile ? stat!.Value.Mode : 0, isFile ? stat!.Value.Size : 0));
                if (isDirectory)
                {
                    pending.Enqueue((item.FullName, relative, [.. ancestors, real!]));
                }
            }
        }

        return entries;
    }

    /// <summary>
    /// mkdir -p: a directory that is already there is left as it is; a new one gets
    /// <paramref name="mode"/>, or with -1 what mkdir gives (0777 less the umask: 0755 usually, as
    /// Ansible's copy). The umask applies to <paramref name="mode"/> too, so the directory is
    /// never more open than asked while it exists; the mode is then set exactly.
    /// </summary>
    public static void MakeDirectory(string path, int mode)
    {
        if (Directory.Exists(path))
        {
            return;
        }

        Directory.CreateDirectory(path, mode >= 0 ? (UnixFileMode)mode : (UnixFileMode)0x1FF);
        if (mode >= 0)
        {
            File.SetUnixFileMode(path, (UnixFileMode)mode);
        }
    }

    /// <summary>
    /// The temporary file a copy is written to: a new file (never one planted under that name),
    /// private (0600) while the bytes arrive whatever the umask, so no one can open it and read
    /// along before it gets its final mode in <see cref="PutInPlace"/>.
    /// </summary>
    public static FileStream CreateTemporary(string temporary) => new(temporary, new FileStreamOptions
    {
        Mode = FileMode.CreateNew,
        Access = FileAccess.Write,
        Share = FileShare.None,
        BufferSize = 0,
        UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
    });

    /// <summary>A name in the destination's own folder (so the final rename cannot cross file systems).</summary>
    public static string TemporaryBeside(string path) =>
        Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path)) ?? "/", "." + Path.GetFileName(path) + ".econtext-" + Guid.NewGuid().ToString("N")[..8]);

    /// <summary>The file's bytes in chunks of <paramref name="chunkSize"/>, each a fresh array the channel owns.</summary>
    public static async Task SendChunksAsync(string path, int chunkSize, ChannelWriter<byte[]> chunks, CancellationToken cancellationToken)
    {
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 0);
        await SendChunksAsync(file, chunkSize, chunks, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The stream's bytes, read to its end, in chunks of <paramref name="chunkSize"/> from the chunk pool.</summary>
    public static async Task SendChunksAsync(Stream source, int chunkSize, ChannelWriter<byte[]> chunks, CancellationToken cancellationToken)
    {
        bool direct = OnThisThread(source);
        while (true)
        {
            byte[] chunk = ChunkPool.RentForSend(chunkSize);
            int n = direct
                ? source.ReadAtLeast(chunk, chunkSize, throwOnEndOfStream: false)
                : await source.ReadAtLeastAsync(chunk, chunkSize, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                return;
            }

            await chunks.WriteAsync(n == chunkSize ? chunk : chunk[..n], cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Whether <paramref name="stream"/> is a regular file, whose reads and writes the copy loops do
    /// on their own thread. A <see cref="FileStream"/> opened without <see cref="FileOptions.Asynchronous"/>
    /// (ours are) runs each ReadAsync or WriteAsync as a work item of the thread pool: one more thread
    /// hand-off per chunk, on each side, and another idle worker spinning for work afterwards, for an
    /// operation that only copies to or from the page cache. A pipe, socket or device (a user's
    /// stream, a FIFO named as a source) may wait on its peer for ever: those keep the async calls.
    /// </summary>
    public static bool OnThisThread(Stream stream) =>
        stream is FileStream { SafeFileHandle: { IsInvalid: false, IsClosed: false } handle }
        && Native.Libc.FileType((int)handle.DangerousGetHandle()) == Native.Libc.TypeRegular;

    /// <summary>Writes one chunk, on this thread when <paramref name="direct"/> (<see cref="OnThisThread"/>).</summary>
    public static ValueTask WriteChunkAsync(Stream destination, bool direct, byte[] chunk, CancellationToken cancellationToken)
    {
        if (!direct)
        {
            return destination.WriteAsync(chunk, cancellationToken);
        }

        cancellationToken.ThrowIfCancellationRequested();
        destination.Write(chunk);
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// The end of every copy: the finished <paramref name="temporary"/> gets the mode, time and owner
    /// asked for (each left alone when -1, or 0 for the time; with no mode, the mode of the file it
    /// replaces, if any) and is renamed over <paramref name="path"/>,
    /// so a reader sees the old file or the whole new one, never a part.
    /// </summary>
    public static void PutInPlace(string temporary, string path, int mode, long modifiedUtcTicks, int ownerUid, int ownerGid)
    {
        if (mode < 0)
        {
            // No mode asked for: a file replaced keeps its own (as Ansible's copy and rsync without
            // -p); a new one gets what creating it would have given (0666 less the umask).
            mode = ExistingMode(path);
            if (mode < 0)
            {
                mode = 0x1B6 & ~Umask();
            }
        }

        File.SetUnixFileMode(temporary, (UnixFileMode)mode);

        if (modifiedUtcTicks > 0)
        {
            File.SetLastWriteTimeUtc(temporary, new DateTime(modifiedUtcTicks, DateTimeKind.Utc));
        }

        if (ownerUid >= 0)
        {
            SetOwner(temporary, ownerUid, ownerGid);
        }

        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>This process's umask, from /proc (reading it with umask(2) would change it for a moment, for every thread); 022 where /proc does not say.</summary>
    private static int Umask()
    {
        try
        {
            foreach (string line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith("Umask:", StringComparison.Ordinal))
                {
                    return Convert.ToInt32(line["Umask:".Length..].Trim(), 8);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
        }

        return 0x12;
    }

    /// <summary>The permission bits of the regular file at <paramref name="path"/> (not through a link, which the rename replaces); -1 if there is none.</summary>
    private static int ExistingMode(string path)
    {
        try
        {
            var info = new FileInfo(path);
            return info.Exists && info.LinkTarget is null ? (int)info.UnixFileMode : -1;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return -1;
        }
    }

    /// <summary>chown, refused up front without root: only root may give a file away.</summary>
    public static void SetOwner(string path, int uid, int gid)
    {
        if (!Environment.IsPrivilegedProcess)
        {
            throw new UnauthorizedAccessException($"keeping the owner ({uid}:{gid}) needs root in {CurrentContext.Name}, which runs as uid {Environment.UserName}; copy without PreserveOwner, or as root (sudo)");
        }

        Native.Libc.Chown(path, uid, gid);
    }

    public static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }
}
