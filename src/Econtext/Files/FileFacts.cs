namespace Econtext.Files;

/// <summary>What a side knows about a file before or after a copy.</summary>
internal sealed record FileFacts(bool Exists, long Length, string? Sha256, int Mode, long ModifiedUtcTicks);
