namespace Econtext.Files;

/// <summary>What a side knows about a file before or after a copy; owner and group are -1 when unknown.</summary>
internal sealed record FileFacts(bool Exists, long Length, string? Sha256, int Mode, long ModifiedUtcTicks, int Uid = -1, int Gid = -1)
{
    /// <summary>
    /// What a copy of this file takes over under <paramref name="options"/>, in the form
    /// <see cref="FileCopy.PutInPlace"/> and the copy calls take: -1 (or 0 for the time) for what it leaves.
    /// </summary>
    public (int Mode, long ModifiedUtcTicks, int Uid, int Gid) KeptBy(FileTransferOptions options) =>
        (options.Mode is UnixFileMode fixedMode ? (int)fixedMode : options.PreserveMode ? Mode : -1, options.PreserveTime ? ModifiedUtcTicks : 0, options.PreserveOwner ? Uid : -1, options.PreserveOwner ? Gid : -1);
}
