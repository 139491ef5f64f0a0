using Econtext.Cli.Targets;

namespace Econtext.Cli.Tests;

public sealed class HostPatternTests
{
    private static readonly Inventory Sample = Inventory.ParseIni("""
        [web]
        web1.example.com
        web2.example.com
        web10.example.com
        [db]
        db1
        db2
        [prod]
        web1.example.com
        db1
        [staging]
        web2.example.com
        db2
        [lb]
        lb1
        """, "hosts.ini");

    private static string[] Select(string pattern) => [.. HostPattern.Select(Sample, pattern).Select(h => h.Name)];

    [Theory]
    [InlineData("all")]
    [InlineData("*")]
    [InlineData("web,db,lb")]
    public void AllSelectsEveryHostInInventoryOrder(string pattern) =>
        Assert.Equal(["web1.example.com", "web2.example.com", "web10.example.com", "db1", "db2", "lb1"], Select(pattern));

    [Theory]
    [InlineData("web", new[] { "web1.example.com", "web2.example.com", "web10.example.com" })]
    [InlineData("db1", new[] { "db1" })]
    [InlineData("web2.example.com", new[] { "web2.example.com" })]
    [InlineData("db:lb", new[] { "db1", "db2", "lb1" })]
    [InlineData("lb, db", new[] { "lb1", "db1", "db2" })]
    [InlineData("prod,web", new[] { "web1.example.com", "db1", "web2.example.com", "web10.example.com" })]
    [InlineData("lb1:db2", new[] { "lb1", "db2" })]
    public void SelectsHostsAndGroupsAndTheirUnions(string pattern, string[] expected) =>
        Assert.Equal(expected, Select(pattern));

    [Theory]
    [InlineData("web:&prod", new[] { "web1.example.com" })]
    [InlineData("web:db:&staging", new[] { "web2.example.com", "db2" })]
    [InlineData("&prod", new[] { "web1.example.com", "db1" })]
    [InlineData("web:!staging", new[] { "web1.example.com", "web10.example.com" })]
    [InlineData("all:!web", new[] { "db1", "db2", "lb1" })]
    [InlineData("!web:!db", new[] { "lb1" })]
    [InlineData("!staging,&prod,web", new[] { "web1.example.com" })]
    [InlineData("all:!web:&prod", new[] { "db1" })]
    public void AppliesIntersectionsThenExclusionsAfterUnions(string pattern, string[] expected) =>
        Assert.Equal(expected, Select(pattern));

    [Theory]
    [InlineData("web*", new[] { "web1.example.com", "web2.example.com", "web10.example.com" })]
    [InlineData("*.example.com", new[] { "web1.example.com", "web2.example.com", "web10.example.com" })]
    [InlineData("web?.example.com", new[] { "web1.example.com", "web2.example.com" })]
    [InlineData("db[!1]", new[] { "db2" })]
    [InlineData("d*:l*", new[] { "db1", "db2", "lb1" })]
    [InlineData("st*", new[] { "web2.example.com", "db2" })]
    public void MatchesWildcards(string pattern, string[] expected) =>
        Assert.Equal(expected, Select(pattern));

    [Theory]
    [InlineData(@"~web\d+\.", new[] { "web1.example.com", "web2.example.com", "web10.example.com" })]
    [InlineData(@"~web1\d", new[] { "web10.example.com" })]
    [InlineData(@"~(db|lb)1", new[] { "db1", "lb1" })]
    [InlineData(@"~example", new string[0])]
    public void MatchesRegexesFromTheStartOfTheName(string pattern, string[] expected)
    {
        if (expected.Length == 0)
        {
            Assert.Throws<InventoryException>(() => Select(pattern));
        }
        else
        {
            Assert.Equal(expected, Select(pattern));
        }
    }

    [Fact]
    public void APatternThatMatchesNothingSaysSoAndListsTheGroups()
    {
        var ex = Assert.Throws<InventoryException>(() => Select("webz"));

        Assert.Equal("hosts.ini: the host pattern \"webz\" matched no hosts (6 in the inventory); its groups are all, db, lb, prod, staging, ungrouped, web", ex.Message);
    }

    [Fact]
    public void AnEmptyIntersectionIsNoMatchToo()
    {
        var ex = Assert.Throws<InventoryException>(() => Select("lb:&prod"));

        Assert.Contains("\"lb:&prod\" matched no hosts", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ListsAtMostTenGroups()
    {
        var inventory = Inventory.ParseIni(string.Concat(Enumerable.Range(1, 12).Select(i => $"[g{i:D2}]\nh{i}\n")), "many.ini");

        var ex = Assert.Throws<InventoryException>(() => HostPattern.Select(inventory, "nope"));

        Assert.EndsWith("its groups are all, g01, g02, g03, g04, g05, g06, g07, g08, g09 and 4 more", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("~web(", "is not a valid regular expression")]
    [InlineData("web:!", "a ! or & with no group or host after it")]
    public void RejectsMalformedPatterns(string pattern, string reason)
    {
        var ex = Assert.Throws<InventoryException>(() => Select(pattern));

        Assert.Contains(reason, ex.Message, StringComparison.Ordinal);
    }
}
