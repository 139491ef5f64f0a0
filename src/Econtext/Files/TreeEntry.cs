namespace Econtext.Files;

/// <summary>One entry of a directory tree, relative to its root; <see cref="Length"/> is 0 for anything but a regular file.</summary>
internal sealed record TreeEntry(string RelativePath, bool IsDirectory, bool IsRegularFile, int Mode, long Length);
