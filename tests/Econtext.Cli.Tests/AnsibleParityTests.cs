using System.CommandLine;
using Econtext.Cli.Commands;
using Econtext.Cli.Targets;

namespace Econtext.Cli.Tests;

/// <summary>
/// One small inventory per defect of issue 21 where econtext's selection differed from ansible-core 2.14's; the
/// expected answers are what <c>ansible -i ... PATTERN --list-hosts</c> printed for the same inventory.
/// </summary>
public sealed class AnsibleParityTests
{
    // web lists its hosts out of file order; prod has hosts of its own and two child groups.
    private static readonly Inventory Sample = Inventory.ParseIni("""
        web3
        [web]
        web2
        web1
        [db]
        db1
        [prod:children]
        db
        web
        [prod]
        p1
        """, "hosts.ini");

    private static string[] Select(string pattern, ICollection<string>? warnings = null) =>
        [.. HostPattern.Select(Sample, pattern, warnings).Select(h => h.Name)];

    [Theory]
    [InlineData("web[0]", new[] { "web2" })]
    [InlineData("web[-1]", new[] { "web1" })]
    [InlineData("web[0:1]", new[] { "web2", "web1" })]
    [InlineData("web[1:]", new[] { "web1" })]
    [InlineData("web[0:0]", new[] { "web2" })]
    [InlineData("web[1:0]", new[] { "web1" })]
    [InlineData("web[0-1]", new[] { "web2", "web1" })]
    [InlineData("w*[0]", new[] { "web2" })]
    [InlineData("web[0]:db", new[] { "web2", "db1" })]
    [InlineData("all:!web[0]", new[] { "web3", "p1", "db1", "web1" })]
    [InlineData("prod:&web[1]", new[] { "web1" })]
    [InlineData("~web[12]", new[] { "web2", "web1" })]
    public void Subscripts_pick_from_the_terms_hosts_as_ansible_does(string pattern, string[] expected) =>
        Assert.Equal(expected, Select(pattern));

    [Theory]
    [InlineData("web[5]")]
    [InlineData("web[-5]")]
    public void A_subscript_past_the_end_selects_nothing(string pattern) =>
        Assert.Throws<InventoryException>(() => Select(pattern));

    [Theory]
    [InlineData("db:web", new[] { "db1", "web2", "web1" })]
    [InlineData("prod", new[] { "p1", "db1", "web2", "web1" })]
    [InlineData("all", new[] { "web3", "p1", "db1", "web2", "web1" })]
    [InlineData("*", new[] { "web3", "p1", "db1", "web2", "web1" })]
    [InlineData("web1,web3", new[] { "web1", "web3" })]
    public void Hosts_come_in_pattern_order_a_groups_own_first_and_as_the_group_lists_them(string pattern, string[] expected) =>
        Assert.Equal(expected, Select(pattern));

    [Fact]
    public void Localhost_is_implicit_when_named_and_not_in_the_inventory()
    {
        Assert.Equal(["localhost"], Select("localhost"));
        Assert.Equal(["localhost", "web2", "web1"], Select("localhost:web"));
        Assert.Equal(["web3", "p1", "db1", "web2", "web1", "localhost"], Select("all:localhost"));
        Assert.DoesNotContain("localhost", Select("all"));

        TargetHost implicitHost = HostPattern.Select(Sample, "localhost").Single();
        Assert.Equal(TargetConnection.Local, implicitHost.Connection);
        Assert.Null(implicitHost.Refusal);

        // An inventory's own localhost is the one a pattern names.
        Inventory own = Inventory.ParseIni("localhost ansible_connection=ssh ansible_port=2200\n", "hosts.ini");
        Assert.Equal((TargetConnection.Ssh, (int?)2200), (HostPattern.Select(own, "localhost").Single().Connection, HostPattern.Select(own, "localhost").Single().Port));
    }

    [Fact]
    public void A_term_that_matches_nothing_is_skipped_with_ansibles_warning()
    {
        var warnings = new List<string>();
        Assert.Equal(["web2", "web1"], Select("web:dbb", warnings));
        Assert.Equal(["Could not match supplied host pattern, ignoring: dbb"], warnings);
    }

    [Fact]
    public void A_host_econtext_cannot_reach_is_refused_only_where_selected()
    {
        Inventory inventory = Inventory.ParseIni("""
            [odd]
            fake ansible_connection=fakelocal
            templated ansible_user="{{ lookup('env', 'USER') }}"
            [plain]
            ok1
            """, "hosts.ini");

        TargetHost ok = HostPattern.Select(inventory, "plain").Single();
        Assert.Null(ok.Refusal);

        TargetHost[] odd = [.. HostPattern.Select(inventory, "odd")];
        Assert.Equal(["fake", "templated"], odd.Select(h => h.Name));
        Assert.Contains("host fake: ansible_connection is \"fakelocal\"", odd[0].Refusal, StringComparison.Ordinal);
        Assert.Contains("host templated: ansible_user is \"{{ lookup('env', 'USER') }}\", a Jinja template", odd[1].Refusal, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unclosed_range_is_an_error_as_in_ansible()
    {
        var ex = Assert.Throws<InventoryException>(() => Inventory.ParseIni("[g]\npeer-[1:3\n", "hosts.ini"));

        Assert.Equal(2, ex.Line);
        Assert.Contains("\"peer-[1:3\" has a [ that no ] closes", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unclosed_bracket_in_a_pattern_is_dropped_as_ansibles_split_does()
    {
        Assert.Equal(["peer-", "1", "3"], HostPattern.SplitTerms("peer-[1:3"));
        Assert.Equal(["web[0:1]"], HostPattern.SplitTerms("web[0:1]"));
        Assert.Equal(["web[0]", "db"], HostPattern.SplitTerms("web[0]:db"));
        Assert.Equal(["fe80::1"], HostPattern.SplitTerms("fe80::1"));
    }

    [Fact(Timeout = 60000)]
    public async Task Limit_at_file_reads_host_patterns_one_a_line()
    {
        string file = Path.Combine(Path.GetTempPath(), $"econtext-retry-{Guid.NewGuid():N}.txt");
        await File.WriteAllTextAsync(file, "web1\n\np1\n");
        try
        {
            List<string> terms = HostPattern.LimitTerms($"db1:@{file}", Path.GetFullPath);
            Assert.Equal(["db1", "web1", "p1"], terms);
            Assert.Equal(["db1", "web1", "p1"], HostPattern.Evaluate(Sample, terms, "limit", null).Select(h => h.Name));
        }
        finally
        {
            File.Delete(file);
        }

        var missing = Assert.Throws<InventoryException>(() => HostPattern.LimitTerms("@/nonexistent/retry.txt", Path.GetFullPath));
        Assert.Contains("cannot read the limit file /nonexistent/retry.txt", missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_at_argument_is_not_a_response_file()
    {
        ParseResult result = EcontextCli.Build().Parse(["exec", "-i", "hosts.ini", "all", "--limit", "@retry.txt", "--", "true"], EcontextCli.Parsing);

        Assert.Contains(result.Tokens, t => t.Value == "@retry.txt");
    }

    [Fact]
    public void A_child_group_named_before_its_section_joins_its_parent_when_declared()
    {
        // As openshift-ansible's hosts.openstack: Ansible lists OSEv3's children as masters, etcd, nodes.
        Inventory inventory = Inventory.ParseIni("""
            [OSEv3:children]
            masters
            nodes
            etcd
            [masters]
            m1
            [etcd]
            e1
            [nodes]
            m1
            n1
            """, "hosts.ini");

        Assert.Equal(["masters", "etcd", "nodes"], inventory.Groups["OSEv3"].Children);
        Assert.Equal(["m1", "e1", "n1"], HostPattern.Select(inventory, "OSEv3").Select(h => h.Name));
    }

    [Fact]
    public void Ini_values_are_python_literals_as_in_ansible()
    {
        Inventory inventory = Inventory.ParseIni("""
            h devices="['/dev/sda', '/dev/sdb']" loc="{ 'root': 'HDD', 'n': 2 }" plain=abc
            [all:vars]
            quoted='text'
            nothing=None
            env={'LANG': 'C.UTF-8'}
            """, "hosts.ini");
        IReadOnlyDictionary<string, string> vars = inventory.FindHost("h")!.Vars;

        Assert.Equal("""["/dev/sda","/dev/sdb"]""", vars["devices"]);
        Assert.Equal("""{"root":"HDD","n":2}""", vars["loc"]);
        Assert.Equal(("abc", "text", "", """{"LANG":"C.UTF-8"}"""), (vars["plain"], vars["quoted"], vars["nothing"], vars["env"]));
    }

    [Fact(Timeout = 60000)]
    public async Task Extra_vars_win_over_every_inventory_variable_and_connection_is_a_default()
    {
        // As ansible -i hosts h -e ansible_user=cli prints "cli" over host_vars, and -c local leaves h's own ssh.
        string root = Path.Combine(Path.GetTempPath(), $"econtext-extra-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path.Combine(root, "host_vars"));
        await File.WriteAllTextAsync(Path.Combine(root, "hosts"), "h ansible_connection=ssh ansible_user=inline\nk\n");
        await File.WriteAllTextAsync(Path.Combine(root, "host_vars", "h.yml"), "ansible_user: host-file\n");
        await File.WriteAllTextAsync(Path.Combine(root, "vars.yml"), "ansible_port: 2201\n");
        try
        {
            Dictionary<string, string> extra = InventorySources.ExtraVariables(["ansible_user=first 'x=a b'", "ansible_user=cli", "@" + Path.Combine(root, "vars.yml"), """{"y": [1, 2]}"""], Path.GetFullPath);
            Assert.Equal(("cli", "a b", "2201", "[\"1\",\"2\"]"), (extra["ansible_user"], extra["x"], extra["ansible_port"], extra["y"]));

            Inventory inventory = InventorySources.Load([Path.Combine(root, "hosts")], Path.GetFullPath, extra, new Dictionary<string, string> { ["ansible_connection"] = "local" });
            TargetHost h = inventory.FindHost("h")!;
            Assert.Equal((TargetConnection.Ssh, "cli", (int?)2201), (h.Connection, h.User, h.Port));
            Assert.Equal(TargetConnection.Local, inventory.FindHost("k")!.Connection);

            Assert.Throws<InventoryException>(() => InventorySources.ExtraVariables(["justaword"], Path.GetFullPath));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
