namespace Econtext;

/// <summary>How <see cref="Context.PushFileAsync"/> and <see cref="Context.FetchFileAsync"/> copy a file.</summary>
public sealed record FileTransferOptions
{
    /// <summary>
    /// Give the copy the source's permission bits (the directories of a tree copy too). Without
    /// it, a file that replaces another keeps that one's bits, and a new file or directory gets
    /// what the umask where it is written leaves (0644 and 0755 usually, as Ansible's copy).
    /// </summary>
    public bool PreserveMode { get; init; } = true;

    /// <summary>
    /// Give every copied file exactly these permission bits instead (set on the temporary file,
    /// before the rename); directories are not affected. Null: as <see cref="PreserveMode"/> says.
    /// </summary>
    public UnixFileMode? Mode { get; init; }

    /// <summary>Give the copy the source's modification time.</summary>
    public bool PreserveTime { get; init; } = true;

    /// <summary>
    /// Give the copy (each file of a tree copy; not its directories) the source's numeric owner and
    /// group. Only root may do that where the copy is written; elsewhere the copy fails saying so.
    /// </summary>
    public bool PreserveOwner { get; init; }

    /// <summary>Leave the destination alone when it already has the source's size and SHA-256.</summary>
    public bool SkipIfSame { get; init; } = true;

    /// <summary>
    /// Bytes per message; a copy keeps at most the credit window (16) of them in flight, and a few
    /// more buffered on each side, so this bounds a copy's memory (about 10 MiB a side at 256 KiB).
    /// </summary>
    public int ChunkSize { get; init; } = 256 * 1024;
}
