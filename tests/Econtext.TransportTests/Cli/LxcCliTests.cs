namespace Econtext.TransportTests.Cli;

/// <summary>
/// The econtext tool reaching a real LXC container (in LXC's default path, where it and Ansible's lxc
/// connection find containers by name) the way an inventory names it and by an lxc:// target.
/// </summary>
[Trait("Needs", "root")]
public sealed class LxcCliTests(LxcDefaultPathContainer lxc, ITestOutputHelper output) : ConnectionTest(output), IClassFixture<LxcDefaultPathContainer>
{
    [Fact(Timeout = 120000)]
    public async Task An_inventory_lxc_host_and_an_lxc_target_run_the_command_inside()
    {
        string dir = Path.Combine(Path.GetTempPath(), "ect-lxc-cli-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        try
        {
            string inventory = Path.Combine(dir, "hosts.ini");
            await File.WriteAllTextAsync(inventory, $"box ansible_connection=community.general.lxc ansible_lxc_host={lxc.Name} ansible_host=ignored-by-lxc\n");

            CliResult byInventory = await CliProcess.RunAsync(Output, ["exec", "-i", inventory, "all", "--json", "--", "cat", "/etc/os-release"]);
            Assert.True(byInventory.ExitCode == 0, byInventory.ToString());
            Assert.Equal(LxcContainer.OsRelease, (string?)byInventory.Host("box")["stdout"]);

            string target = $"lxc://{LxcContainer.Guest.Uid}@{lxc.Name}";
            CliResult byTarget = await CliProcess.RunAsync(Output, ["exec", target, "--json", "--", "id", "-u"]);
            Assert.True(byTarget.ExitCode == 0, byTarget.ToString());
            Assert.Equal($"{LxcContainer.Guest.Uid}\n", (string?)byTarget.Host(target)["stdout"]);

            int init = await lxc.InitPidAsync();
            // The run's agent keeps contexts warm between commands; once it is stopped, nothing of them is left.
            CliProcess.StopAgent(CliProcess.AgentDirectory);
            Assert.Empty(await Processes.WaitAloneInPidNamespaceAsync(init, Bound));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
