namespace Econtext.TransportTests;

/// <summary>
/// The chain the issue names as one: ssh to a host as a user, sudo to root there, then
/// <c>podman exec</c> into a container of that host. Each hop is a real process (the private
/// sshd's session, sudo with a password on a terminal, podman with the engine fixture's store).
/// </summary>
[Trait("Needs", "root")]
public sealed class ContainerChainTests(TestHosts hosts, PodmanEngine podman, ITestOutputHelper output) : TransportTest(hosts, output), IClassFixture<PodmanEngine>
{
    [Fact(Timeout = 120000)]
    public async Task Ssh_then_sudo_then_podman_exec_is_one_chain()
    {
        await using var router = new Router();
        Context web = await StartAsync(() => router.SshAsync(Hosts.Ssh(Hosts.SudoPassword)), "ssh as the sudo user");
        Context root = await StartAsync(
            () => router.SudoAsync(new SudoOptions { User = "root", Password = Hosts.SudoPassword.Password, ConnectTimeout = Connect, Via = web }),
            "sudo to root in the ssh context");
        Context inside = await StartAsync(() => ContainerEngine.ConnectAsync(router, podman.Options(podman.Running) with { Via = root }), "podman exec from the sudo context");

        Assert.Equal($"podman:{podman.Running}@sudo:root@{web.Name}", inside.Name);
        Assert.Equal(podman.OsRelease, await inside.CallAsync(() => ContainerProbe.OsRelease()).WaitAsync(Bound));
        int main = await podman.MainPidAsync(podman.Running);
        Assert.Equal(Processes.Namespace(main, "mnt"), await inside.CallAsync(() => ContainerProbe.Namespace("mnt")).WaitAsync(Bound));

        // podman ran where it was asked to: as root, as a child of the sudo context, not of this process.
        int exec = Assert.Single(Processes.Descendants(root.RemoteProcessId), pid => Processes.CommandLine(pid).Contains(" exec -i ", StringComparison.Ordinal) && Processes.CommandLine(pid).Contains(podman.Running, StringComparison.Ordinal));
        Assert.Equal(0, Processes.UidOf(exec));

        // The bottom hop gone, everything below is reported gone at once and nothing stays inside.
        Processes.Signal(web.RemoteProcessId, Processes.SigKill);
        await Task.Delay(Timeout.Infinite, inside.Disconnected).ContinueWith(_ => { }, TaskScheduler.Default).WaitAsync(Bound);
        Assert.True(await Processes.WaitGoneAsync([exec], Bound), "podman exec outlived the ssh context it hung from");
        Assert.Empty(await Processes.WaitAloneInPidNamespaceAsync(await podman.MainPidAsync(podman.Running), Bound));
    }
}
