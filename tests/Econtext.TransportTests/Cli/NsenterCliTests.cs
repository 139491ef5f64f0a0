namespace Econtext.TransportTests.Cli;

/// <summary>
/// The econtext tool entering the namespaces of a real process (one unshare put in new mount, pid,
/// uts, ipc and network namespaces): typed as nsenter://PID, and by an inventory as Ansible's
/// community.docker.nsenter names it (ansible_nsenter_pid).
/// </summary>
[Trait("Needs", "root")]
public sealed class NsenterCliTests(ITestOutputHelper output) : ConnectionTest(output)
{
    [Fact(Timeout = 120000)]
    public async Task An_nsenter_target_and_an_inventory_host_run_the_command_in_the_namespaces()
    {
        await using NamespacedProcess target = await NamespacedProcess.StartAsync(Bound);
        string typed = "nsenter://" + target.Pid;

        CliResult byTarget = await CliProcess.RunAsync(Output, ["exec", typed, "--json", "--", "cat", "/proc/sys/kernel/hostname"]);
        Assert.True(byTarget.ExitCode == 0, byTarget.ToString());
        Assert.Equal(target.HostName + "\n", (string?)byTarget.Host(typed)["stdout"]);

        string dir = Path.Combine(Path.GetTempPath(), "ect-nsenter-cli-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        try
        {
            string inventory = Path.Combine(dir, "hosts.ini");
            await File.WriteAllTextAsync(inventory, $"ns ansible_connection=community.docker.nsenter ansible_nsenter_pid={target.Pid}\n");
            CliResult byInventory = await CliProcess.RunAsync(Output, ["exec", "-i", inventory, "all", "--json", "--", "cat", "/proc/sys/kernel/hostname"]);
            Assert.True(byInventory.ExitCode == 0, byInventory.ToString());
            Assert.Equal(target.HostName + "\n", (string?)byInventory.Host("ns")["stdout"]);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }

        // Nothing of ours stays in the namespace once the tool has exited.
        // The run's agent keeps contexts warm between commands; once it is stopped, nothing of them is left.
        CliProcess.StopAgent(CliProcess.AgentDirectory);
        Assert.Empty(await Processes.WaitAloneInPidNamespaceAsync(target.Pid, Bound));
    }
}
