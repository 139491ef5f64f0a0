using Econtext.Cli.Running;
using Econtext.Cli.Targets;

namespace Econtext.Cli.Tests;

/// <summary>Targets typed as podman://, docker://, buildah://, chroot:// and nsenter://, beside ssh hosts, and how --list-hosts shows them.</summary>
public sealed class TargetSchemeTests
{
    [Theory]
    [InlineData("podman://web", "Podman", "web", null)]
    [InlineData("podman://app@web-1.blue_2", "Podman", "web-1.blue_2", "app")]
    [InlineData("docker://1000:1000@3f2a9c", "Docker", "3f2a9c", "1000:1000")]
    [InlineData("buildah://root@fedora-working-container", "Buildah", "fedora-working-container", "root")]
    [InlineData("chroot:///srv/jail", "Chroot", "/srv/jail", null)]
    [InlineData("chroot://nobody:nogroup@/srv/jail", "Chroot", "/srv/jail", "nobody:nogroup")]
    [InlineData("chroot:///srv/a@b", "Chroot", "/srv/a@b", null)]
    [InlineData("chroot://images/root", "Chroot", "images/root", null)]
    [InlineData("lxc://web", "Lxc", "web", null)]
    [InlineData("lxc://1000:1000@web", "Lxc", "web", "1000:1000")]
    public void Parses_the_scheme_user_and_container_or_directory(string text, string connection, string address, string? user)
    {
        var host = Assert.Single(TargetList.Parse(text));

        Assert.Equal((text, Enum.Parse<TargetConnection>(connection), address, user), (host.Name, host.Connection, host.ConnectAddress, host.User));
        Assert.False(host.IsLocal);
    }

    [Fact]
    public void Nsenter_takes_a_pid_and_numeric_ids_and_enters_every_namespace()
    {
        var hosts = TargetList.Parse("nsenter://1,nsenter://1000:100@4242");

        Assert.Equal((TargetConnection.Nsenter, (int?)1, (string?)null), (hosts[0].Connection, hosts[0].Pid, hosts[0].User));
        Assert.Equal(((int?)4242, "1000:100"), (hosts[1].Pid, hosts[1].User));
        Assert.Equal(((int?)1000, (int?)100), TargetScheme.NumericIds(hosts[1].User!));
        // Typed targets get the library's default, --all with the process's root and working directory.
        Assert.Empty(hosts[0].NsenterArgs);
    }

    [Fact]
    public void Schemes_mix_with_ssh_hosts_and_local_in_one_list() =>
        Assert.Equal(
            [TargetConnection.Ssh, TargetConnection.Podman, TargetConnection.Local, TargetConnection.Chroot],
            TargetList.Parse("deploy@web1:2222,podman://web,local,chroot:///srv/jail").Select(h => h.Connection));

    [Theory]
    [InlineData("incus://web", "econtext knows no \"incus://\"; write podman://, docker://, buildah://, lxc://, chroot:// and nsenter://")]
    [InlineData("lxc://root@web", "lxc-attach takes numeric ids: \"root\" is not UID or UID:GID")]
    [InlineData("lxc://-n", "\"-n\" is not a container name")]
    [InlineData("podman://", "no container; write podman://web or podman://app@web")]
    [InlineData("docker://@web", "nothing before the @")]
    [InlineData("podman://-privileged", "\"-privileged\" is not a container name or id")]
    [InlineData("podman://web/x", "\"web/x\" is not a container name")]
    [InlineData("podman://-u@web", "the user \"-u\" is not a user name or id")]
    [InlineData("chroot://", "no directory; write chroot:///srv/jail")]
    [InlineData("chroot://-x", "\"-x\" is not a directory chroot can be given")]
    [InlineData("nsenter://", "no process id; write nsenter://1234")]
    [InlineData("nsenter://init", "\"init\" is not a process id")]
    [InlineData("nsenter://0", "\"0\" is not a process id")]
    [InlineData("nsenter://root@1", "nsenter takes numeric ids: \"root\" is not UID or UID:GID")]
    public void Refuses_a_bad_scheme_target_with_an_example(string text, string reason)
    {
        var ex = Assert.Throws<InventoryException>(() => TargetList.Parse("web1," + text));

        Assert.StartsWith($"bad target \"{text}\" in \"web1,{text}\": ", ex.Message, StringComparison.Ordinal);
        Assert.Contains(reason, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void List_hosts_says_how_each_is_reached()
    {
        var settings = new RunSettings
        {
            Hosts = TargetList.Parse("web1:2222,podman://app@web,docker://db,chroot:///srv/jail,nsenter://0:0@42,local"),
            Via = TargetList.Parse("bastion").Single(),
            User = "deploy",
            Become = new BecomeSettings(true, null, null, null),
        };
        using var output = new StringWriter();

        HostList.Write(settings, output);

        Assert.Equal(
            [
                "hosts (6):",
                "  web1:2222 (ssh deploy@web1:2222 via bastion) as root by sudo",
                "  podman://app@web (podman app@web via bastion) as root by sudo",
                "  docker://db (docker deploy@db via bastion) as root by sudo",
                "  chroot:///srv/jail (chroot /srv/jail via bastion) as root by sudo",
                "  nsenter://0:0@42 (nsenter pid 42 as 0:0 via bastion) as root by sudo",
                "  local (local context) as root by sudo",
            ],
            output.ToString().TrimEnd('\n').Split('\n'));
    }
}
