using Econtext.Cli.Targets;

namespace Econtext.Cli.Tests;

public sealed class TargetListTests
{
    [Fact]
    public void ParsesUserHostAndPort()
    {
        var hosts = TargetList.Parse("deploy@web1:2222, web2");

        Assert.Equal(2, hosts.Count);
        Assert.Equal(("deploy@web1:2222", "web1", "deploy", (int?)2222, false), (hosts[0].Name, hosts[0].ConnectAddress, hosts[0].User, hosts[0].Port, hosts[0].IsLocal));
        Assert.Equal(("web2", "web2", (string?)null, (int?)null, false), (hosts[1].Name, hosts[1].ConnectAddress, hosts[1].User, hosts[1].Port, hosts[1].IsLocal));
    }

    [Theory]
    [InlineData("[::1]", null, "::1", null)]
    [InlineData("[::1]:2222", null, "::1", 2222)]
    [InlineData("root@[fe80::1]:22", "root", "fe80::1", 22)]
    [InlineData("root@2001:db8::7", "root", "2001:db8::7", null)]
    [InlineData("10.0.0.5:2200", null, "10.0.0.5", 2200)]
    public void ParsesIPv6InBracketsAndBare(string text, string? user, string address, int? port)
    {
        var host = Assert.Single(TargetList.Parse(text));

        Assert.Equal((text, user, address, port), (host.Name, host.User, host.ConnectAddress, host.Port));
    }

    [Fact]
    public void LocalIsThisMachineButLocalhostIsAnSshHost()
    {
        var hosts = TargetList.Parse("local,localhost,root@localhost");

        Assert.True(hosts[0].IsLocal);
        Assert.Equal("local", hosts[0].Name);
        Assert.False(hosts[1].IsLocal);
        Assert.Equal("localhost", hosts[1].ConnectAddress);
        Assert.Equal(("root", false), (hosts[2].User, hosts[2].IsLocal));
    }

    [Fact]
    public void DropsRepeatedTargets() =>
        Assert.Equal(["web1", "web2"], TargetList.Parse("web1,web2,web1").Select(h => h.Name));

    [Theory]
    [InlineData("", "empty entry")]
    [InlineData("web1,,web2", "empty entry")]
    [InlineData("web1,", "empty entry")]
    [InlineData("web1:", "port \"\" is not a number")]
    [InlineData("web1:0", "port \"0\" is not a number from 1 to 65535")]
    [InlineData("web1:65536", "port \"65536\"")]
    [InlineData("web1:ssh", "port \"ssh\"")]
    [InlineData("web1:22:23", "port \"22:23\"")]
    [InlineData("@web1", "nothing before the @")]
    [InlineData("deploy@", "no host name")]
    [InlineData("a@b@web1", "the host \"b@web1\" has a character")]
    [InlineData("-oProxyCommand=touch /tmp/x", "starts with '-', which ssh would take as an option")]
    [InlineData("-oProxyCommand=x@web1", "the user starts with '-'")]
    [InlineData("root@local", "local means this machine without ssh")]
    [InlineData("[web1]", "brackets are for IPv6 addresses only")]
    [InlineData("[::1]2222", "only :port may")]
    [InlineData("[::1]:99999", "port \"99999\"")]
    [InlineData("web 1", "has a character")]
    public void RejectsBadTargetsWithAnExample(string spec, string reason)
    {
        var ex = Assert.Throws<InventoryException>(() => TargetList.Parse(spec));

        Assert.Contains(reason, ex.Message, StringComparison.Ordinal);
        Assert.Contains("deploy@web1:2222,web2", ex.Message, StringComparison.Ordinal);
        Assert.Null(ex.File);
    }

    [Fact]
    public void ResolveWithNothingIsTheLocalMachine()
    {
        var host = Assert.Single(TargetList.Resolve(null, null));

        Assert.Equal(("local", true), (host.Name, host.IsLocal));
    }

    [Fact]
    public void ResolveWithoutAnInventoryParsesTheList() =>
        Assert.Equal(["web1", "u@web2"], TargetList.Resolve("web1,u@web2", null).Select(h => h.Name));

    [Fact]
    public void ResolveWithAnInventoryTreatsTargetsAsAPattern()
    {
        var path = Path.Combine(Path.GetTempPath(), $"econtext-targets-{Guid.NewGuid():N}.ini");
        File.WriteAllText(path, "[web]\nweb1\nweb2\n[db]\ndb1\n");
        try
        {
            Assert.Equal(["web1", "web2", "db1"], TargetList.Resolve(null, Inventory.Load(path)).Select(h => h.Name));
            Assert.Equal(["db1"], TargetList.Resolve("db", Inventory.Load(path)).Select(h => h.Name));
            var ex = Assert.Throws<InventoryException>(() => TargetList.Resolve("web3", Inventory.Load(path)));
            Assert.Contains("matched no hosts", ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
