using System.Diagnostics;

namespace Econtext.TransportTests.Cli;

/// <summary>
/// Ctrl-C as a terminal sends it: SIGINT to the whole foreground process group, here a session of its own
/// made with setsid. The tool says once that the user interrupted it, stops the hosts' work, and exits 99
/// (Ansible's "User interrupted execution"); no host is reported unreachable because ssh died of the same
/// signal first. In-process (--no-agent) and through the agent.
/// </summary>
public sealed class InterruptTests(TestHosts hosts, ITestOutputHelper output) : TransportTest(hosts, output)
{
    [Theory(Timeout = 120000)]
    [InlineData("--no-agent")]
    [InlineData("--persist=5m")]
    public async Task Sigint_to_the_process_group_is_a_user_interrupt_and_stops_the_remote_work(string mode)
    {
        string marker = "econtext-interrupt-" + Guid.NewGuid().ToString("N")[..8];
        var startInfo = new ProcessStartInfo("setsid")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        foreach (string arg in (string[])["dotnet", CliProcess.Tool, "exec", mode, "-F", Hosts.SshConfig, "ect-k,local", "--shell", "--", $"echo started; sleep 60; echo {marker}"])
        {
            startInfo.ArgumentList.Add(arg);
        }

        startInfo.Environment["ECONTEXT_SCRIPT_CACHE"] = CliProcess.ScriptCache;
        startInfo.Environment["ECONTEXT_AGENT_DIR"] = CliProcess.AgentDirectory;
        startInfo.Environment["NO_COLOR"] = "1";
        startInfo.Environment["COLUMNS"] = "200";
        Output.WriteLine("$ setsid " + string.Join(' ', startInfo.ArgumentList.Skip(1)));

        using var process = Process.Start(startInfo)!;
        process.StandardInput.Close();
        var stdout = new System.Text.StringBuilder();
        var bothStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int started = 0;
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            lock (stdout)
            {
                stdout.AppendLine(e.Data);
            }

            if (e.Data.EndsWith("| started", StringComparison.Ordinal) && Interlocked.Increment(ref started) == 2)
            {
                bothStarted.TrySetResult();
            }
        };
        process.BeginOutputReadLine();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await bothStarted.Task.WaitAsync(TimeSpan.FromSeconds(60));

            // setsid made the tool the leader of its own session and process group: the group a terminal's Ctrl-C reaches.
            Assert.Equal(process.Id, Getpgid(process.Id));

            // Whether ssh or the local context's shell would die of the signal before the tool acts on it is a race
            // (one run in three before); what decides it is that none of them is in the group the signal goes to.
            List<int> transports = Processes.Descendants(process.Id);
            if (mode == "--no-agent")
            {
                Assert.NotEmpty(transports);
            }

            Assert.All(transports, pid => Assert.NotEqual(process.Id, Getpgid(pid)));
            Processes.Signal(-process.Id, 2);
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        string err = await stderr;
        string all;
        lock (stdout)
        {
            all = stdout + err;
        }

        Output.WriteLine($"exit {process.ExitCode}\n{all}");
        Assert.Equal(99, process.ExitCode);
        Assert.Single(err.Split('\n'), l => l.Contains("interrupted", StringComparison.Ordinal));
        Assert.DoesNotContain("unreachable", all.Replace("0 unreachable", "", StringComparison.Ordinal), StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("UNREACHABLE", all, StringComparison.Ordinal);
        Assert.DoesNotContain(marker, all.Replace("echo " + marker, "", StringComparison.Ordinal), StringComparison.Ordinal);

        // The sleep on both hosts (one machine here) ended with the command.
        Assert.DoesNotContain(Processes.All(), pid => Processes.CommandLine(pid).Contains(marker, StringComparison.Ordinal));
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "getpgid")]
    private static extern int Getpgid(int pid);
}
