using Econtext.Cli.Targets;

namespace Econtext.Cli.Tests;

public sealed class InventoryIniTests
{
    private const string Sample = """
        # before any section: ungrouped
        jump.example.com ansible_user=ops
        ; another comment style

        [web]
        web[01:03].example.com
        db1 ansible_host=10.0.0.5   # a trailing comment

        [db]
        db1 ansible_port=2222
        db-[a:c]

        [prod:children]
        web
        db

        [prod:vars]
        tier=prod
        ansible_user=deploy

        [web:vars]
        tier=web
        color=blue

        [db:vars]
        color=green

        [all:vars]
        ansible_user=root
        site = "main site"
        """;

    private static Inventory Parse(string text) => Inventory.ParseIni(text, "hosts.ini");

    // A host econtext cannot reach is refused when selected, not when the inventory is read: this selects them all.
    private static Inventory ParseOrRefuse(string text) => TestInventories.Refusing(Parse(text));

    private static string Var(Inventory inventory, string host, string name) => inventory.FindHost(host)!.Vars[name];

    [Fact]
    public void ListsHostsInFirstSeenOrderWithRangesExpanded()
    {
        var inventory = Parse(Sample);

        Assert.Equal(
            ["jump.example.com", "web01.example.com", "web02.example.com", "web03.example.com", "db1", "db-a", "db-b", "db-c"],
            inventory.Hosts.Select(h => h.Name));
        Assert.Equal(["all", "ungrouped", "web", "db", "prod"], inventory.GroupNames);
    }

    [Fact]
    public void GroupsHoldTheirOwnMembersAndDescendants()
    {
        var inventory = Parse(Sample);

        Assert.Equal(["db1", "db-a", "db-b", "db-c"], inventory.Groups["db"].Hosts);
        Assert.Equal(["web", "db"], inventory.Groups["prod"].Children);
        Assert.Equal(7, inventory.HostsOf("prod").Count);
        Assert.Equal(["jump.example.com"], inventory.HostsOf("ungrouped").Select(h => h.Name));
        Assert.Equal(["jump.example.com"], inventory.Groups["ungrouped"].Hosts);
        Assert.Equal(8, inventory.HostsOf("all").Count);
        Assert.Equal((0, 1, 1, 2), (inventory.Groups["all"].Depth, inventory.Groups["prod"].Depth, inventory.Groups["ungrouped"].Depth, inventory.Groups["web"].Depth));
    }

    [Fact]
    public void ChildGroupVarsOverrideParentsWhichOverrideAll()
    {
        var inventory = Parse(Sample);

        Assert.Equal("web", Var(inventory, "web01.example.com", "tier"));
        Assert.Equal("prod", Var(inventory, "db-a", "tier"));
        Assert.Equal("deploy", inventory.FindHost("db-a")!.User);
        Assert.Equal("main site", Var(inventory, "db-a", "site"));
        Assert.Equal("deploy", inventory.FindHost("web01.example.com")!.User);
        Assert.Equal("main site", Var(inventory, "jump.example.com", "site"));
    }

    [Fact]
    public void HostVarsOverrideGroupVars() =>
        Assert.Equal("ops", Parse(Sample).FindHost("jump.example.com")!.User);

    [Fact]
    public void AHostInTwoGroupsOfOneDepthTakesTheAlphabeticallyLaterGroup()
    {
        var db1 = Parse(Sample).FindHost("db1")!;

        // db and web are both children of prod: web sorts after db, so web's color wins.
        Assert.Equal("blue", db1.Vars["color"]);
        // Host variables from both of its lines apply.
        Assert.Equal(("10.0.0.5", (int?)2222), (db1.Address, db1.Port));
    }

    [Fact]
    public void GroupPriorityOutranksTheName()
    {
        var inventory = Parse("""
            [a]
            h1
            [b]
            h1
            [a:vars]
            x=from-a
            ansible_group_priority=10
            [b:vars]
            x=from-b
            """);

        Assert.Equal("from-a", Var(inventory, "h1", "x"));
    }

    [Theory]
    [InlineData("web[1:3]", new[] { "web1", "web2", "web3" })]
    [InlineData("web[08:10]", new[] { "web08", "web09", "web10" })]
    [InlineData("web[:2]", new[] { "web0", "web1", "web2" })]
    [InlineData("n[1:7:3]", new[] { "n1", "n4", "n7" })]
    [InlineData("db-[a:c]", new[] { "db-a", "db-b", "db-c" })]
    [InlineData("x[y:B]", new[] { "xy", "xz", "xA", "xB" })]
    [InlineData("r[1:2]-[a:b].lan", new[] { "r1-a.lan", "r1-b.lan", "r2-a.lan", "r2-b.lan" })]
    public void ExpandsAnsibleRanges(string entry, string[] expected) =>
        Assert.Equal(expected, Parse($"[g]\n{entry} role=x\n").Hosts.Select(h => h.Name));

    [Theory]
    [InlineData("web[3:1]", "must not run backwards")]
    [InlineData("web[01:100]", "same number of digits")]
    [InlineData("web[1:x]", "both ends must be numbers")]
    [InlineData("web[1:]", "a range looks like")]
    [InlineData("web[1:5:0]", "step must be a positive number")]
    public void RejectsBadRangesWithTheLine(string entry, string reason)
    {
        var ex = Assert.Throws<InventoryException>(() => ParseOrRefuse($"[g]\n{entry}\n"));

        Assert.Equal(2, ex.Line);
        Assert.Contains(reason, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void APortAfterTheHostNameSetsThePort()
    {
        var inventory = Parse("web1:2222\nweb[2:3].lan:2200\n[::1]:2201\n");

        Assert.Equal(2222, inventory.FindHost("web1")!.Port);
        Assert.Equal("2200", Var(inventory, "web3.lan", "ansible_port"));
        Assert.Equal(2201, inventory.FindHost("::1")!.Port);
    }

    [Fact]
    public void MapsEveryVariableEcontextUses()
    {
        var host = Parse("""
            full ansible_host=10.1.1.1 ansible_port=2200 ansible_user=u ansible_ssh_private_key_file=~/.ssh/k ansible_ssh_common_args="-o ProxyJump=bastion -o 'SetEnv=A=b c'" ansible_ssh_extra_args='-v' ansible_become=yes ansible_become_user=postgres ansible_become_method=su ansible_become_password='s3 cr3t' other=kept
            """).FindHost("full")!;

        Assert.Equal("10.1.1.1", host.Address);
        Assert.Equal(2200, host.Port);
        Assert.Equal("u", host.User);
        Assert.Equal("~/.ssh/k", host.IdentityFile);
        Assert.Equal(["-o", "ProxyJump=bastion", "-o", "SetEnv=A=b c", "-v"], host.SshArgs);
        Assert.True(host.Become);
        Assert.Equal("postgres", host.BecomeUser);
        Assert.Equal("su", host.BecomeMethod);
        Assert.Equal("s3 cr3t", host.BecomePassword);
        Assert.False(host.IsLocal);
        Assert.Equal("kept", host.Vars["other"]);
        Assert.Equal("-v", host.Vars["ansible_ssh_extra_args"]);
    }

    [Fact]
    public void AcceptsTheOlderNames()
    {
        var host = Parse("old ansible_ssh_host=10.2.2.2 ansible_ssh_port=23 ansible_ssh_user=legacy ansible_become_pass=pw\n").FindHost("old")!;

        Assert.Equal(("10.2.2.2", (int?)23, "legacy", "pw"), (host.Address, host.Port, host.User, host.BecomePassword));
    }

    [Fact]
    public void UnsetVariablesLeaveDefaults()
    {
        var host = Parse("plain\n").FindHost("plain")!;

        Assert.Equal(("plain", (string?)null, (int?)null, (string?)null, false, (string?)null), (host.ConnectAddress, host.Address, host.Port, host.User, host.Become, host.BecomeMethod));
        Assert.Empty(host.SshArgs);
        Assert.Empty(host.Vars);
    }

    [Fact]
    public void LocalConnectionIsALocalHost()
    {
        var inventory = Parse("localhost ansible_connection=local\nother ansible_connection=ssh\n");

        Assert.True(inventory.FindHost("localhost")!.IsLocal);
        Assert.False(inventory.FindHost("other")!.IsLocal);
    }

    [Fact]
    public void RejectsConnectionsEcontextDoesNotHave()
    {
        var ex = Assert.Throws<InventoryException>(() => ParseOrRefuse("box ansible_connection=winrm\n"));

        Assert.StartsWith("hosts.ini: host box: ansible_connection is \"winrm\"; econtext supports ssh, local, podman, docker, docker_api, buildah, lxc, chroot and nsenter", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("yes", true)]
    [InlineData("True", true)]
    [InlineData("ON", true)]
    [InlineData("1", true)]
    [InlineData("no", false)]
    [InlineData("FALSE", false)]
    [InlineData("off", false)]
    [InlineData("0", false)]
    public void ReadsAnsibleBooleansForBecome(string text, bool expected) =>
        Assert.Equal(expected, Parse($"h ansible_become={text}\n").FindHost("h")!.Become);

    [Fact]
    public void RejectsAnUnknownBoolean()
    {
        var ex = Assert.Throws<InventoryException>(() => ParseOrRefuse("h ansible_become=maybe\n"));

        Assert.Equal("hosts.ini: host h: ansible_become is \"maybe\"; it must be yes/no, true/false, on/off or 1/0", ex.Message);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("0")]
    [InlineData("65536")]
    [InlineData("-22")]
    public void RejectsABadPortNamingHostAndFile(string port)
    {
        var ex = Assert.Throws<InventoryException>(() => ParseOrRefuse($"[web:vars]\nansible_port={port}\n[web]\nweb1\n"));

        Assert.Equal($"hosts.ini: host web1: the port is \"{port}\"; ansible_port must be a number from 1 to 65535", ex.Message);
    }

    [Fact]
    public void RejectsABecomeMethodEcontextDoesNotHave()
    {
        var ex = Assert.Throws<InventoryException>(() => ParseOrRefuse("h ansible_become_method=runas\n"));

        Assert.Contains("host h: ansible_become_method is \"runas\"; econtext supports sudo, su and doas", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RefusesJinjaInAVariableItUses()
    {
        var ex = Assert.Throws<InventoryException>(() => ParseOrRefuse("h ansible_host=\"{{ inventory_hostname | upper }}.lan\"\n"));

        Assert.Contains("host h: ansible_host is \"{{ inventory_hostname | upper }}.lan\"", ex.Message, StringComparison.Ordinal);
        Assert.Contains("econtext evaluates only {{ variable }}", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RendersTheSimpleTemplatesPeoplePutInInventories()
    {
        var inventory = Parse("""
            web1.example.com ansible_host="{{ inventory_hostname_short }}.lan" ansible_user="{{ deploy_user }}"
            [all:vars]
            deploy_user="{{ team }}-deploy"
            team=ops
            ansible_ssh_common_args='-o ProxyJump={{ inventory_hostname }}'
            """);
        var host = inventory.FindHost("web1.example.com")!;

        Assert.Equal(("web1.lan", "ops-deploy"), (host.Address, host.User));
        Assert.Equal(["-o", "ProxyJump=web1.example.com"], host.SshArgs);
        // Shown as written, as ansible-inventory shows it.
        Assert.Equal("{{ inventory_hostname_short }}.lan", host.Vars["ansible_host"]);
    }

    [Fact]
    public void KeepsJinjaInOtherVariablesAsText() =>
        Assert.Equal("{{ motd }}", Parse("[g]\nh\n[g:vars]\nbanner=\"{{ motd }}\"\n").FindHost("h")!.Vars["banner"]);

    [Fact]
    public void RejectsASectionLineWithoutItsClosingBracket()
    {
        var ex = Assert.Throws<InventoryException>(() => ParseOrRefuse("[web]\nweb1\n\n# vars\n\n\n[web:vars\ncolor=red\n"));

        Assert.Equal("hosts.ini line 7: \"[web:vars\" has no closing bracket; a section header looks like [group], [group:vars] or [group:children]", ex.Message);
        Assert.Equal(("hosts.ini", (int?)7), (ex.File, ex.Line));
    }

    [Theory]
    [InlineData("[web]\n[web:hosts2]\n", 2, "section [web:hosts2] has the unknown type \"hosts2\"")]
    [InlineData("[web servers]\n", 1, "\"[web servers]\" is not a valid section header")]
    [InlineData("[web]\nweb1 color\n", 2, "\"color\" is not a host variable")]
    [InlineData("[web]\nweb1 motd='unfinished\n", 2, "cannot split the host line: the single quote")]
    [InlineData("[web:vars]\njust-a-word\n[web]\n", 2, "\"just-a-word\" is not a variable; lines in [web:vars] look like name=value")]
    [InlineData("[web:children]\ndb extra\n", 2, "\"db extra\" is not a group name")]
    [InlineData("x\n[ghost:vars]\na=1\n", 2, "[ghost:vars] is for a group that no [ghost] or [ghost:children] section declares")]
    [InlineData("[web:children]\ndb\n", 2, "[web:children] lists db, which no [db] or [db:children] section declares")]
    [InlineData("[web]\nweb1:ssh\n", null, "host web1: the port is \"ssh\"")]
    public void ReportsMalformedLinesWithTheirNumber(string text, int? line, string problem)
    {
        var ex = Assert.Throws<InventoryException>(() => ParseOrRefuse(text));

        Assert.Equal(line, ex.Line);
        Assert.Contains(problem, ex.Message, StringComparison.Ordinal);
        Assert.StartsWith("hosts.ini", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void VarsSectionsMayComeBeforeTheirGroup()
    {
        var inventory = Parse("[web:vars]\ncolor=red\n[web:children]\nfront\n[front]\nf1\n");

        Assert.Equal("red", Var(inventory, "f1", "color"));
        Assert.Equal(["f1"], inventory.HostsOf("web").Select(h => h.Name));
    }

    [Fact]
    public void RejectsGroupsThatContainThemselves()
    {
        var ex = Assert.Throws<InventoryException>(() => ParseOrRefuse("[a:children]\nb\n[b:children]\na\n"));

        Assert.Equal("hosts.ini: groups a → b → a are each other's children; a group cannot contain itself", ex.Message);
    }

    [Fact]
    public void AHostListedUnderUngroupedAndAGroupIsNotUngrouped()
    {
        var inventory = Parse("h1\nh2\n[web]\nh1\n");

        Assert.Equal(["h2"], inventory.HostsOf("ungrouped").Select(h => h.Name));
        Assert.Equal(["h2"], inventory.Groups["ungrouped"].Hosts);
    }

    [Fact]
    public void RejectsAnAddressThatSshWouldReadAsAnOption()
    {
        var ex = Assert.Throws<InventoryException>(() => ParseOrRefuse("h ansible_host=-oProxyCommand=id\n"));

        Assert.Contains("host h:", ex.Message, StringComparison.Ordinal);
        Assert.Contains("which ssh would take as an option", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadReadsAnIniFileFromDisk()
    {
        var path = Path.Combine(Path.GetTempPath(), $"econtext-inv-{Guid.NewGuid():N}");
        File.WriteAllText(path, "[web]\nweb1 ansible_port=2022\n");
        try
        {
            var inventory = Inventory.Load(path);

            Assert.Equal(2022, inventory.FindHost("web1")!.Port);
            Assert.Equal(path, inventory.FileName);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void LoadNamesAMissingFile()
    {
        var path = Path.Combine(Path.GetTempPath(), $"econtext-missing-{Guid.NewGuid():N}.ini");

        var ex = Assert.Throws<InventoryException>(() => Inventory.Load(path));

        Assert.StartsWith($"{path}: cannot read the inventory", ex.Message, StringComparison.Ordinal);
    }
}
