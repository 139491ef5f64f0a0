using Econtext.Wire;

namespace Econtext.Bootstrap;

/// <summary>
/// The core's image and those of its own dependencies, as the preamble carries them. A class rather
/// than a tuple: a <c>Lazy</c> of a value tuple has no ReadyToRun code and would be JIT-compiled at
/// every child's start.
/// </summary>
internal sealed record CoreImages(byte[] Core, List<(string Name, byte[] Image)> Dependencies)
{
    private byte[]? _dependencySection;

    /// <summary>
    /// The preamble's dependency section (count, then name and image of each), built once: every
    /// connection writes the same bytes, and building them per connection meant renting a buffer the
    /// size of the whole preamble, which the shared array pool then kept (one per connecting thread).
    /// </summary>
    public byte[] DependencySection => _dependencySection ??= BuildDependencySection();

    private byte[] BuildDependencySection()
    {
        using var section = new FrameBuilder(Dependencies.Sum(d => d.Image.Length + d.Name.Length + 8));
        section.WriteInt32(Dependencies.Count);
        foreach ((string name, byte[] image) in Dependencies)
        {
            section.WriteShortString(name);
            section.WriteInt32(image.Length);
            section.WriteBytes(image);
        }

        return section.Written.Span[MessageHeader.Size..].ToArray();
    }
}
