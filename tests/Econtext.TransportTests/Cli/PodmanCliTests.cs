using System.Globalization;

namespace Econtext.TransportTests.Cli;

/// <summary>
/// The econtext tool in a real podman container, named by an inventory as Ansible's containers.podman.podman
/// names it. The container is made here from a tar of the fixture's no-.NET chroot (no registry is reachable),
/// in a private podman store passed with ansible_podman_extra_args, so the machine's own podman state is untouched.
/// </summary>
public sealed class PodmanCliTests(TestHosts hosts, ITestOutputHelper output) : TransportTest(hosts, output)
{
    [Fact(Timeout = 180000)]
    public async Task An_inventory_podman_host_runs_in_the_container_with_its_user_environment_and_directory()
    {
        string id = Guid.NewGuid().ToString("N")[..8];
        string dir = Path.Combine(Hosts.Dir, "podman-" + id);
        string name = "econtext-cli-" + id;
        string image = "localhost/econtext-cli-test:" + id;
        // podman refuses a runroot path longer than 50 characters, so that one is in /tmp.
        string runroot = "/tmp/econtext-podman-" + id;
        // Global podman arguments: a private store and state, and the engine settings this machine needs (runc, no systemd).
        string[] engine = ["--root", dir + "/storage", "--runroot", runroot, "--tmpdir", dir + "/libpod", "--storage-driver", "vfs", "--runtime", "runc", "--cgroup-manager", "cgroupfs", "--events-backend", "file"];
        Directory.CreateDirectory(dir);
        try
        {
            // /proc is a mount of its own (--one-file-system leaves it out); /root, /home and /tmp hold what other tests left.
            await Shell.CheckAsync("/usr/bin/tar", ["-C", Hosts.ChrootDir, "--one-file-system", "--exclude=./root", "--exclude=./home/*", "--exclude=./tmp/*", "-cf", dir + "/rootfs.tar", "."]);
            await Shell.CheckAsync("podman", [.. engine, "import", dir + "/rootfs.tar", image]);
            await Shell.CheckAsync("podman", [.. engine, "run", "-d", "--network", "none", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=4096:4096", "--name", name, image, "/bin/sleep", "infinity"]);
            int containerPid = int.Parse((await Shell.CheckAsync("podman", [.. engine, "inspect", "-f", "{{.State.Pid}}", name])).StandardOutput.Trim(), CultureInfo.InvariantCulture);

            string inventory = Path.Combine(dir, "hosts.ini");
            File.WriteAllText(inventory, $$"""
                [pods]
                as-root ansible_podman_extra_env='{"ECONTEXT_CLI_TEST": "from the inventory"}' ansible_podman_working_directory=/tmp
                as-user ansible_user={{Hosts.NoRuntime.Name}}

                [pods:vars]
                ansible_connection=containers.podman.podman
                ansible_host={{name}}
                ansible_podman_extra_args='{{string.Join(' ', engine)}}'
                """);

            CliResult result = await CliProcess.RunAsync(
                Output,
                ["exec", "-i", inventory, "--json", "--shell", "--", "echo \"$ECONTEXT_CLI_TEST\"; pwd; id -u; tr '\\0' ' ' </proc/1/cmdline"]);

            Assert.True(result.ExitCode == 0, result.ToString());
            // pid 1 is the container's sleep: the command ran in its namespaces.
            Assert.Equal("from the inventory\n/tmp\n0\n/bin/sleep infinity \n", (string?)result.Host("as-root")["stdout"]);
            string[] asUser = ((string)result.Host("as-user")["stdout"]!).Split('\n');
            // That user's home is not in the image: the command runs in the container's own directory, as podman exec puts it.
            Assert.Equal(["", "/", Hosts.NoRuntime.Uid.ToString(CultureInfo.InvariantCulture)], asUser[..3]);

            // Nothing of either context is left in the container: its only process is the sleep.
            string ns = new FileInfo($"/proc/{containerPid}/ns/pid").LinkTarget!;
            // The run's agent keeps contexts warm between commands; once it is stopped, nothing of them is left.
            CliProcess.StopAgent(CliProcess.AgentDirectory);
            Assert.Equal([containerPid], Processes.All().Where(pid => NamespaceOf(pid) == ns).ToList());
        }
        finally
        {
            await Shell.RunAsync("podman", [.. engine, "rm", "-f", "-t", "0", name]);
            await Shell.RunAsync("podman", [.. engine, "rmi", "-f", image]);
            string mounts = File.ReadAllText("/proc/self/mountinfo");
            Assert.DoesNotContain(dir, mounts, StringComparison.Ordinal);
            Assert.DoesNotContain(runroot, mounts, StringComparison.Ordinal);
            Directory.Delete(dir, recursive: true);
            if (Directory.Exists(runroot))
            {
                Directory.Delete(runroot, recursive: true);
            }
        }
    }

    private static string? NamespaceOf(int pid)
    {
        try
        {
            return new FileInfo($"/proc/{pid}/ns/pid").LinkTarget;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
