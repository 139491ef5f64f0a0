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
    public static FileFacts Describe(string path, bool hash)
    {
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            return new FileFacts(false, 0, null, 0, 0);
        }

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
    /// <param name="mode">Permission bits to give the copy, or -1 for the default.</param>
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
                await file.WriteAsync(chunk).ConfigureAwait(false);
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
            await using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0))
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

    /// <summary>Every directory and file below <paramref name="root"/>, parents before children; links are listed, not followed.</summary>
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
        var pending = new Queue<string>();
        pending.Enqueue(root);
        while (pending.Count > 0)
        {
            string directory = pending.Dequeue();
            foreach (FileSystemInfo item in new DirectoryInfo(directory).EnumerateFileSystemInfos().OrderBy(i => i.Name, StringComparer.Ordinal))
            {
                string relative = Path.GetRelativePath(root, item.FullName);
                bool link = item.LinkTarget is not null;
                bool isDirectory = !link && item is DirectoryInfo;
                bool isFile = !link && item is FileInfo;
                entries.Add(new TreeEntry(relative, isDirectory, isFile, (int)item.UnixFileMode, isFile ? ((FileInfo)item).Length : 0));
                if (isDirectory)
                {
                    pending.Enqueue(item.FullName);
                }
            }
        }

        return entries;
    }

    public static void MakeDirectory(string path, int mode) =>
        Directory.CreateDirectory(path, mode >= 0 ? (UnixFileMode)mode : UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);

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
        while (true)
        {
            byte[] chunk = ChunkPool.RentForSend(chunkSize);
            int n = await source.ReadAtLeastAsync(chunk, chunkSize, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                return;
            }

            await chunks.WriteAsync(n == chunkSize ? chunk : chunk[..n], cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The end of every copy: the finished <paramref name="temporary"/> gets the mode, time and owner
    /// asked for (each left alone when -1, or 0 for the time) and is renamed over <paramref name="path"/>,
    /// so a reader sees the old file or the whole new one, never a part.
    /// </summary>
    public static void PutInPlace(string temporary, string path, int mode, long modifiedUtcTicks, int ownerUid, int ownerGid)
    {
        if (mode >= 0)
        {
            File.SetUnixFileMode(temporary, (UnixFileMode)mode);
        }

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
