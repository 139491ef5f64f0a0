namespace Econtext;

/// <summary>What a file copy did: the destination, the bytes moved (0 when skipped) and how long it took.</summary>
public sealed record FileTransferResult(string Destination, long Bytes, TimeSpan Elapsed, bool Skipped);
