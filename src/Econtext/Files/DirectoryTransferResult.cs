namespace Econtext;

/// <summary>What a directory copy did: files copied and skipped (already the same), bytes moved, and entries it left alone (links, devices) with why.</summary>
public sealed record DirectoryTransferResult(string Destination, int FilesCopied, int FilesSkipped, long Bytes, TimeSpan Elapsed, IReadOnlyList<string> NotCopied);
