using System.Threading.Channels;
using Econtext.Files;

namespace Econtext.Tests;

/// <summary>
/// The receiving side of a directory copy. When the master fetches a tree, the context names the
/// files: a compromised one must not be able to make the master write outside the destination.
/// </summary>
public sealed class TreeCopyTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("econtext-tree-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("../escape.txt")]
    [InlineData("sub/../../escape.txt")]
    [InlineData("/tmp/escape.txt")]
    [InlineData("")]
    [InlineData("./x")]
    [InlineData("a//b")]
    public async Task Names_that_leave_the_tree_are_refused_and_nothing_is_written(string name)
    {
        string root = Path.Combine(_dir, "root");
        Directory.CreateDirectory(Path.Combine(root, "sub"));
        var pieces = Channel.CreateUnbounded<FilePiece>();
        pieces.Writer.TryWrite(new FilePiece(name, 3, -1, 0, 0, [1, 2, 3]));
        pieces.Writer.TryComplete();

        await Assert.ThrowsAsync<IOException>(() => TreeCopy.WriteTreeAsync(root, pieces.Reader, new HashSet<string>(StringComparer.Ordinal) { name }, CancellationToken.None))
            .WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Empty(Directory.EnumerateFiles(_dir, "*", SearchOption.AllDirectories));
        Assert.False(File.Exists("/tmp/escape.txt"));
    }

    [Fact(Timeout = 10000)]
    public async Task A_name_that_was_not_asked_for_is_refused()
    {
        var pieces = Channel.CreateUnbounded<FilePiece>();
        pieces.Writer.TryWrite(new FilePiece("other.txt", 1, -1, 0, 0, [9]));
        pieces.Writer.TryComplete();

        IOException ex = await Assert.ThrowsAsync<IOException>(() => TreeCopy.WriteTreeAsync(_dir, pieces.Reader, new HashSet<string>(StringComparer.Ordinal) { "asked.txt" }, CancellationToken.None));

        Assert.Contains("not asked for", ex.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFiles(_dir));
    }

    [Fact(Timeout = 10000)]
    public async Task A_file_cut_short_is_not_renamed_into_place()
    {
        var pieces = Channel.CreateUnbounded<FilePiece>();
        pieces.Writer.TryWrite(new FilePiece("short.bin", 10, -1, 0, 0, [1, 2, 3]));
        pieces.Writer.TryComplete();

        IOException ex = await Assert.ThrowsAsync<IOException>(() => TreeCopy.WriteTreeAsync(_dir, pieces.Reader, null, CancellationToken.None));

        Assert.Contains("ended at 3 of its 10 bytes", ex.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFiles(_dir));
    }
}
