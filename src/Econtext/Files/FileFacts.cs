namespace Econtext.Files;

/// <summary>What a side knows about a file before or after a copy; owner and group are -1 when unknown.</summary>
internal sealed record FileFacts(bool Exists, long Length, string? Sha256, int Mode, long ModifiedUtcTicks, int Uid = -1, int Gid = -1);
