using Econtext.Cli.Targets;

namespace Econtext.Cli.Tests;

public sealed class InventoryYamlTests
{
    private const string Sample = """
        all:
          hosts:
            bastion:
              ansible_host: 203.0.113.9
            lone:
          vars:
            ansible_user: root
            site: main
          children:
            prod:
              vars:
                ansible_user: deploy
                tier: prod
              children:
                web:
                  hosts:
                    web[1:3]:
                  vars:
                    tier: web
                    color: blue
                db:
                  hosts:
                    db1:
                      ansible_port: 2222
                      ansible_become: True
                      packages: [nginx, curl]
                      limits: {cpu: 2, tags: [a, b], none: ~}
                    db2:
                  vars:
                    color: green
        web:
          hosts:
            db1:
            web9.lan:2200:
        """;

    private static Inventory Parse(string text) => Inventory.ParseYaml(text, "hosts.yml");

    // A host econtext cannot reach is refused when selected, not when the inventory is read: this selects them all.
    private static Inventory ParseOrRefuse(string text) => TestInventories.Refusing(Parse(text));

    [Fact]
    public void ReadsHostsGroupsAndChildren()
    {
        var inventory = Parse(Sample);

        Assert.Equal(["bastion", "lone", "web1", "web2", "web3", "db1", "db2", "web9.lan"], inventory.Hosts.Select(h => h.Name));
        Assert.Equal(["bastion", "lone"], inventory.HostsOf("ungrouped").Select(h => h.Name));
        Assert.Equal(["web1", "web2", "web3", "db1", "web9.lan"], inventory.HostsOf("web").Select(h => h.Name));
        Assert.Equal(["web", "db"], inventory.Groups["prod"].Children);
        Assert.Equal(2, inventory.Groups["web"].Depth);
        Assert.Equal(2200, inventory.FindHost("web9.lan")!.Port);
    }

    [Fact]
    public void AppliesAnsiblePrecedence()
    {
        var inventory = Parse(Sample);

        Assert.Equal("web", inventory.FindHost("web1")!.Vars["tier"]);
        Assert.Equal("prod", inventory.FindHost("db2")!.Vars["tier"]);
        Assert.Equal("deploy", inventory.FindHost("db2")!.User);
        Assert.Equal("root", inventory.FindHost("lone")!.User);
        Assert.Equal("main", inventory.FindHost("web1")!.Vars["site"]);
        // db1 is in db and web, both at depth 2: web sorts later and wins.
        Assert.Equal("blue", inventory.FindHost("db1")!.Vars["color"]);
        Assert.Equal("green", inventory.FindHost("db2")!.Vars["color"]);
        // A top-level group next to all is a child of all.
        Assert.Equal("main", inventory.FindHost("web9.lan")!.Vars["site"]);
    }

    [Fact]
    public void KeepsScalarsAsTextAndNestedValuesAsJson()
    {
        var db1 = Parse(Sample).FindHost("db1")!;

        Assert.Equal("True", db1.Vars["ansible_become"]);
        Assert.True(db1.Become);
        Assert.Equal(2222, db1.Port);
        Assert.Equal("""["nginx","curl"]""", db1.Vars["packages"]);
        Assert.Equal("""{"cpu":"2","tags":["a","b"],"none":null}""", db1.Vars["limits"]);
    }

    [Fact]
    public void MapsEveryVariableEcontextUses()
    {
        var host = Parse("""
            all:
              hosts:
                full:
                  ansible_host: 10.1.1.1
                  ansible_port: 2200
                  ansible_user: u
                  ansible_ssh_private_key_file: ~/.ssh/k
                  ansible_ssh_common_args: "-o ProxyJump=bastion -o 'SetEnv=A=b c'"
                  ansible_ssh_extra_args: -v
                  ansible_become: yes
                  ansible_become_user: postgres
                  ansible_become_method: doas
                  ansible_become_password: "s3 cr3t"
                  ansible_connection: ssh
                here:
                  ansible_connection: local
            """);
        var full = host.FindHost("full")!;

        Assert.Equal(("10.1.1.1", (int?)2200, "u", "~/.ssh/k"), (full.Address, full.Port, full.User, full.IdentityFile));
        Assert.Equal(["-o", "ProxyJump=bastion", "-o", "SetEnv=A=b c", "-v"], full.SshArgs);
        Assert.Equal((true, "postgres", "doas", "s3 cr3t", false), (full.Become, full.BecomeUser, full.BecomeMethod, full.BecomePassword, full.IsLocal));
        Assert.True(host.FindHost("here")!.IsLocal);
    }

    [Fact]
    public void ANullValueCountsAsUnset()
    {
        var host = Parse("all:\n  hosts:\n    h:\n      ansible_port:\n      ansible_user: ~\n").FindHost("h")!;

        Assert.Equal(((int?)null, (string?)null), (host.Port, host.User));
        Assert.Equal("", host.Vars["ansible_port"]);
    }

    [Fact]
    public void ExpandsRangesInHostKeys() =>
        Assert.Equal(["db-a", "db-b", "n01", "n02"], Parse("all:\n  hosts:\n    db-[a:b]:\n    n[01:02]:\n").Hosts.Select(h => h.Name));

    [Fact]
    public void RefusesJinjaInAVariableItUses()
    {
        var ex = Assert.Throws<InventoryException>(() => ParseOrRefuse("all:\n  vars:\n    ansible_become_password: \"{{ vault_pw }}\"\n  hosts:\n    h:\n"));

        Assert.Equal("hosts.yml: host h: ansible_become_password is \"{{ vault_pw }}\", a Jinja template econtext cannot evaluate: vault_pw is not a variable of this host; give the value itself", ex.Message);
    }

    [Fact]
    public void RejectsABadPortAndABadMethod()
    {
        var port = Assert.Throws<InventoryException>(() => ParseOrRefuse("all:\n  hosts:\n    h:\n      ansible_port: ssh\n"));
        var method = Assert.Throws<InventoryException>(() => ParseOrRefuse("all:\n  hosts:\n    h:\n      ansible_become_method: pbrun\n"));

        Assert.Equal("hosts.yml: host h: the port is \"ssh\"; ansible_port must be a number from 1 to 65535", port.Message);
        Assert.Equal("hosts.yml: host h: ansible_become_method is \"pbrun\"; econtext supports sudo, su and doas", method.Message);
    }

    [Fact]
    public void MalformedYamlCarriesYamlDotNetsPosition()
    {
        var ex = Assert.Throws<InventoryException>(() => ParseOrRefuse("all:\n  hosts:\n    web1:\n   web2:\n"));

        Assert.Equal("hosts.yml line 4 column 4: not valid YAML: While parsing a block mapping, did not find expected key.", ex.Message);
        Assert.Equal(("hosts.yml", (int?)4, (int?)4), (ex.File, ex.Line, ex.Column));
    }

    [Fact]
    public void AnUnclosedFlowMappingStillGetsAPosition()
    {
        var ex = Assert.Throws<InventoryException>(() => ParseOrRefuse("all:\n  hosts:\n    web1: {a: 1\n    web2:\n"));

        Assert.Equal(3, ex.Line);
        Assert.StartsWith("hosts.yml line 3 column ", ex.Message, StringComparison.Ordinal);
        Assert.Contains("not valid YAML", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("all:\n  hosts:\n    - web1\n", 3, "the hosts of group all must be a mapping (name: value lines), not a list")]
    [InlineData("all:\n  host:\n    web1:\n", 2, "group all has the key \"host\"; a group's keys are hosts, vars and children")]
    [InlineData("- all\n", 1, "the top level must map group names to groups")]
    [InlineData("all:\n  children:\n    web: [a]\n", 3, "group web must be a mapping")]
    [InlineData("all:\n  hosts:\n    web1: yes\n", 3, "host web1 must be a mapping")]
    [InlineData("all:\n  hosts:\n    web[3:1]:\n", 3, "must not run backwards")]
    public void ReportsStructuralMistakesWithTheirLine(string text, int line, string problem)
    {
        var ex = Assert.Throws<InventoryException>(() => ParseOrRefuse(text));

        Assert.Equal(line, ex.Line);
        Assert.Contains(problem, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnEmptyFileHasNoHosts()
    {
        var inventory = Parse("# nothing yet\n");

        Assert.Empty(inventory.Hosts);
        Assert.Equal(["all", "ungrouped"], inventory.GroupNames);
    }

    [Theory]
    [InlineData(".yml", "all:\n  hosts:\n    h1:\n")]
    [InlineData("", "# comment first\nall:\n  hosts:\n    h1:\n")]
    [InlineData("", "---\nweb:\n  hosts:\n    h1:\n")]
    [InlineData(".cfg", "[web]\nh1\n")]
    public void LoadTellsYamlFromIni(string extension, string text)
    {
        var path = Path.Combine(Path.GetTempPath(), $"econtext-inv-{Guid.NewGuid():N}{extension}");
        File.WriteAllText(path, text);
        try
        {
            Assert.Equal("h1", Assert.Single(Inventory.Load(path).Hosts).Name);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
