namespace Econtext;

/// <summary>How <see cref="Context.PushFileAsync"/> and <see cref="Context.FetchFileAsync"/> copy a file.</summary>
public sealed record FileTransferOptions
{
    /// <summary>Give the copy the source's permission bits.</summary>
    public bool PreserveMode { get; init; } = true;

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
