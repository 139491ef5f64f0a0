using Econtext.Cli.Targets;

namespace Econtext.Cli.Tests;

public sealed class ShellWordsTests
{
    [Theory]
    [InlineData("a b  c", new[] { "a", "b", "c" })]
    [InlineData("  \ta\n\tb  ", new[] { "a", "b" })]
    [InlineData("'a b' \"c d\"", new[] { "a b", "c d" })]
    [InlineData(@"'a'\''b'", new[] { "a'b" })]
    [InlineData(@"'no \escape here'", new[] { @"no \escape here" })]
    [InlineData(@"""a\""b\\c\$d\e""", new[] { @"a""b\c$d\e" })]
    [InlineData(@"a\ b c\\d", new[] { "a b", @"c\d" })]
    [InlineData("x'' \"\" ''", new[] { "x", "", "" })]
    [InlineData("pre'mid'\"dle\"post", new[] { "premiddlepost" })]
    [InlineData("-o 'ProxyCommand=ssh -W %h:%p bastion'", new[] { "-o", "ProxyCommand=ssh -W %h:%p bastion" })]
    [InlineData("$HOME * `id` $(id)", new[] { "$HOME", "*", "`id`", "$(id)" })]
    [InlineData("a\\\nb", new[] { "ab" })]
    [InlineData("", new string[0])]
    public void SplitsLikeAPosixShell(string text, string[] expected) =>
        Assert.Equal(expected, ShellWords.Split(text));

    [Theory]
    [InlineData("a 'b c", "single quote at character 3 is never closed")]
    [InlineData("a \"b c", "double quote at character 3 is never closed")]
    [InlineData("a \"b\\\"", "double quote at character 3 is never closed")]
    [InlineData("a b\\", "ends with a backslash")]
    public void RejectsUnfinishedQuotingWithTheReason(string text, string reason)
    {
        var ex = Assert.Throws<FormatException>(() => ShellWords.Split(text));
        Assert.Contains(reason, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void HashStartsACommentOnlyWhenAskedAndOnlyAtAWordStart()
    {
        Assert.Equal(["a", "b#c"], ShellWords.Split("a b#c #d e", comments: true));
        Assert.Equal(["a", "b#c", "#d", "e"], ShellWords.Split("a b#c #d e"));
        Assert.Equal(["a", "#quoted"], ShellWords.Split("a '#quoted' # comment", comments: true));
        Assert.Equal(["a", "b"], ShellWords.Split("a # comment\nb", comments: true));
    }
}
