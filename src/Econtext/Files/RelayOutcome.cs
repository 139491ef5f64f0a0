namespace Econtext.Files;

/// <summary>What one target of a relayed copy did: bytes written, or why it failed.</summary>
internal sealed record RelayOutcome(int Id, long Bytes, string? Error);
