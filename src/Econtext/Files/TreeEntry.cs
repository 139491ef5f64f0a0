namespace Econtext.Files;

/// <summary>One entry of a directory tree, relative to its root.</summary>
internal sealed record TreeEntry(string RelativePath, bool IsDirectory, bool IsRegularFile, int Mode);
