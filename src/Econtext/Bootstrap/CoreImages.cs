namespace Econtext.Bootstrap;

/// <summary>
/// The core's image and those of its own dependencies, as the preamble carries them. A class rather
/// than a tuple: a <c>Lazy</c> of a value tuple has no ReadyToRun code and would be JIT-compiled at
/// every child's start.
/// </summary>
internal sealed record CoreImages(byte[] Core, List<(string Name, byte[] Image)> Dependencies);
