namespace Econtext.Files;

/// <summary>
/// Part of a file in a directory copy: small files travel whole, one piece each, so a thousand of
/// them cost a thousand messages in one call rather than a thousand calls; a large one is cut into
/// pieces of the chunk size, sent in order.
/// </summary>
internal sealed record FilePiece(string Path, long Length, int Mode, long ModifiedUtcTicks, long Offset, byte[] Data, int Uid = -1, int Gid = -1);
