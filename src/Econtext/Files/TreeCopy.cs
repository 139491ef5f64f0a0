using System.Security.Cryptography;
using System.Threading.Channels;

namespace Econtext.Files;

/// <summary>
/// Directory trees in one streamed call each way: the sender reads the files in order and emits
/// <see cref="FilePiece"/>s through a channel under the credit window; the receiver writes each file
/// to a temporary name beside its destination and renames it when its last piece arrives.
/// </summary>
internal static class TreeCopy
{
    /// <summary>Creates the root and the directories below it, parents first.</summary>
    public static void MakeDirectories(string root, int rootMode, string[] paths, int[] modes)
    {
        string current = root;
        try
        {
            FileCopy.MakeDirectory(root, rootMode);
            for (int i = 0; i < paths.Length; i++)
            {
                current = Path.Combine(root, CheckRelative(paths[i]));
                FileCopy.MakeDirectory(current, modes[i]);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"creating the directory {current} in {CurrentContext.Name} failed: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// For each file, its SHA-256 where it is a regular file with the given length (worth
    /// comparing), else null. A source's links are followed, as they are copied; a destination's
    /// link is not (it is replaced by the file). With a <paramref name="mode"/> (not -1), a file
    /// with other permission bits is not worth comparing either: it is to be written again.
    /// </summary>
    public static string?[] HashesWhereSameLength(string root, string[] paths, long[] lengths, bool followLinks, int mode)
    {
        var hashes = new string?[paths.Length];
        for (int i = 0; i < paths.Length; i++)
        {
            string path = Path.Combine(root, CheckRelative(paths[i]));
            var info = new FileInfo(path);
            (int Type, int Mode, long Size)? stat = followLinks || info.LinkTarget is null ? Native.Libc.StatFollowed(path) : null;
            if (stat is { Type: Native.Libc.TypeRegular } found && found.Size == lengths[i] && (mode < 0 || found.Mode == mode))
            {
                hashes[i] = Sha256(path);
            }
        }

        return hashes;
    }

    public static string Sha256(string path)
    {
        using FileStream stream = File.OpenRead(path);
        return Convert.ToHexString(SHA256.HashData(stream));
    }

    /// <summary>
    /// Reads the files in order (following links) and writes their pieces; a file that changes
    /// length while read fails the copy. <paramref name="fileMode"/> is the mode the copies get: -2
    /// for each source's own, -1 for none (the destination's default), else those bits.
    /// </summary>
    public static async Task ReadTreeAsync(string root, string[] paths, int chunkSize, int fileMode, bool keepTime, bool keepOwner, ChannelWriter<FilePiece> pieces, CancellationToken cancellationToken)
    {
        string where = CurrentContext.Name;
        foreach (string relative in paths)
        {
            string path = Path.Combine(root, CheckRelative(relative));
            try
            {
                await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 0);
                long length = file.Length;
                int mode = fileMode == -2 ? (int)File.GetUnixFileMode(file.SafeFileHandle) : fileMode;
                long modified = keepTime ? File.GetLastWriteTimeUtc(file.SafeFileHandle).Ticks : 0;
                (int uid, int gid) = keepOwner ? Native.Libc.Owner(path) : (-1, -1);
                long offset = 0;
                do
                {
                    int want = (int)Math.Min(chunkSize, length - offset);
                    byte[] data = new byte[want];
                    int read = await file.ReadAtLeastAsync(data, want, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
                    if (read != want)
                    {
                        throw new IOException($"it shrank while being read: {length} bytes when opened, {offset + read} could be read");
                    }

                    await pieces.WriteAsync(new FilePiece(relative, length, mode, modified, offset, data, uid, gid), cancellationToken).ConfigureAwait(false);
                    offset += want;
                }
                while (offset < length);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new IOException($"reading {path} in {where} failed: {ex.Message}", ex);
            }
        }
    }

    /// <summary>Runs in the context a tree is pushed to: writes the pieces below <paramref name="root"/>; returns the bytes written.</summary>
    public static Task<long> WriteTreeAsync(string root, ChannelReader<FilePiece> pieces, CancellationToken cancellationToken) =>
        WriteTreeAsync(root, pieces, null, cancellationToken);

    /// <summary>
    /// Writes the pieces below <paramref name="root"/>; returns the bytes written. With
    /// <paramref name="expected"/>, a piece for any other path is refused (the master receiving a
    /// tree from a context it does not trust to choose where the master writes).
    /// </summary>
    public static async Task<long> WriteTreeAsync(string root, ChannelReader<FilePiece> pieces, IReadOnlySet<string>? expected, CancellationToken cancellationToken)
    {
        string where = CurrentContext.Name;
        FileStream? open = null;
        string? temporary = null;
        string? destination = null;
        FilePiece? current = null;
        long written = 0;
        try
        {
            await foreach (FilePiece piece in pieces.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                if (piece.Offset == 0)
                {
                    if (open is not null)
                    {
                        throw new IOException($"{current!.Path} ended at {open.Length} of its {current.Length} bytes");
                    }

                    if (expected is not null && !expected.Contains(piece.Path))
                    {
                        throw new UnauthorizedAccessException($"'{piece.Path}' was not asked for");
                    }

                    current = piece;
                    destination = Path.Combine(root, CheckRelative(piece.Path));
                    temporary = FileCopy.TemporaryBeside(destination);
                    open = FileCopy.CreateTemporary(temporary);
                }
                else if (open is null || current is null || piece.Path != current.Path || piece.Offset != open.Length)
                {
                    throw new IOException($"a piece of {piece.Path} at offset {piece.Offset} arrived out of order");
                }

                await open.WriteAsync(piece.Data, cancellationToken).ConfigureAwait(false);
                written += piece.Data.Length;
                if (open.Length > current.Length)
                {
                    throw new IOException($"{current.Path} grew past the {current.Length} bytes announced");
                }

                if (open.Length == current.Length)
                {
                    await open.DisposeAsync().ConfigureAwait(false);
                    open = null;
                    FileCopy.PutInPlace(temporary!, destination!, current.Mode, current.ModifiedUtcTicks, current.Uid, current.Gid);
                    temporary = null;
                }
            }

            if (open is not null)
            {
                throw new IOException($"{current!.Path} ended at {open.Length} of its {current.Length} bytes");
            }

            return written;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"writing {destination ?? root} in {where} failed: {ex.Message}", ex);
        }
        finally
        {
            if (open is not null)
            {
                await open.DisposeAsync().ConfigureAwait(false);
            }

            if (temporary is not null)
            {
                FileCopy.TryDelete(temporary);
            }
        }
    }

    /// <summary>A path relative to a tree's root that stays inside it: no leading '/', no "..", no empty name.</summary>
    public static string CheckRelative(string path)
    {
        if (path.Length == 0 || path.StartsWith('/') || path.Contains('\0', StringComparison.Ordinal)
            || path.Split('/').Any(segment => segment is ".." or "." or ""))
        {
            throw new UnauthorizedAccessException($"'{path}' is not a plain path inside the tree");
        }

        return path;
    }
}
