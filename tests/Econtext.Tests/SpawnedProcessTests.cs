using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Econtext.Transports;

namespace Econtext.Tests;

public class SpawnedProcessTests
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(15);

    [Fact(Timeout = 20_000)]
    public async Task CatEchoesStdinToStdoutOverPipes()
    {
        using var process = SpawnedProcess.Start("/bin/cat", [], null, withTerminal: false);

        // A megabyte of every byte value: a tty would block at 4 KiB and rewrite \n and ^C/^D.
        byte[] data = new byte[1 << 20];
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = (byte)(i * 7);
        }

        Task<byte[]> output = Task.Run(async () =>
        {
            using var copy = new MemoryStream();
            await process.StandardOutput.CopyToAsync(copy);
            return copy.ToArray();
        });
        await Task.Run(() =>
        {
            process.StandardInput.Write(data);
            process.StandardInput.Dispose();
        }).WaitAsync(s_wait);

        Assert.Equal(data, await output.WaitAsync(s_wait));
        Assert.Equal(0, await process.WaitForExitAsync().WaitAsync(s_wait));
        Assert.True(process.HasExited);
        Assert.Equal(0, process.ExitCode);
        Assert.Null(process.Terminal);
    }

    [Fact(Timeout = 20_000)]
    public async Task StdoutAndStderrAreSeparatePipes()
    {
        using var process = SpawnedProcess.Start("sh", ["-c", "echo out; echo err >&2"], null, withTerminal: false);

        Task<string> stdout = ReadToEndAsync(process.StandardOutput);
        Task<string> stderr = ReadToEndAsync(process.StandardError);

        Assert.Equal("out\n", await stdout);
        Assert.Equal("err\n", await stderr);
        Assert.Equal(0, await process.WaitForExitAsync().WaitAsync(s_wait));
    }

    [Fact(Timeout = 20_000)]
    public async Task ReportsExitCodesAndSignalsAsDotNetDoes()
    {
        using var exits = SpawnedProcess.Start("sh", ["-c", "exit 42"], null, withTerminal: false);
        using var killsItself = SpawnedProcess.Start("sh", ["-c", "kill -KILL $$"], null, withTerminal: true);
        using var terminated = SpawnedProcess.Start("sleep", ["1000"], null, withTerminal: false);
        Assert.Null(terminated.ExitCode);
        Assert.False(terminated.HasExited);

        terminated.Signal(15);

        Assert.Equal(42, await exits.WaitForExitAsync().WaitAsync(s_wait));
        Assert.Equal(128 + 9, await killsItself.WaitForExitAsync().WaitAsync(s_wait));
        Assert.Equal(128 + 15, await terminated.WaitForExitAsync().WaitAsync(s_wait));
        Assert.Equal(128 + 15, terminated.ExitCode);

        // Signalling a reaped process is a no-op, not a signal to whoever has the pid now.
        terminated.Signal(9);
        terminated.Kill();
    }

    [Fact(Timeout = 20_000)]
    public async Task EnvironmentIsOursPlusOverrides()
    {
        var overrides = new Dictionary<string, string> { ["ECONTEXT_SPAWN_TEST"] = "a b=c" };
        using var process = SpawnedProcess.Start("sh", ["-c", "printf '%s|%s' \"$ECONTEXT_SPAWN_TEST\" \"$PATH\""], overrides, withTerminal: false);

        string output = await ReadToEndAsync(process.StandardOutput);

        Assert.Equal("a b=c|" + Environment.GetEnvironmentVariable("PATH"), output);
        Assert.Equal(0, await process.WaitForExitAsync().WaitAsync(s_wait));
    }

    [Fact(Timeout = 20_000)]
    public async Task TerminalIsTheControllingTerminalOfANewSession()
    {
        const string Script = "ps -o tty=,sid= -p $$; printf 'Password: ' >/dev/tty; read x </dev/tty; echo \"got $x\"";
        using var process = SpawnedProcess.Start("sh", ["-c", Script], null, withTerminal: true);
        Assert.NotNull(process.Terminal);
        Assert.StartsWith("/dev/pts/", process.TerminalName, StringComparison.Ordinal);

        var stdout = new StringBuilder();
        string first = (await ReadUntilAsync(process.StandardOutput, "\n", stdout)).Trim();
        string[] fields = first.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(process.TerminalName, "/dev/" + fields[0]);
        Assert.Equal(process.ProcessId, int.Parse(fields[1], CultureInfo.InvariantCulture));

        var terminal = new StringBuilder();
        await ReadUntilAsync(process.Terminal, "Password: ", terminal);
        await process.Terminal.WriteAsync("hello\n"u8.ToArray());

        Assert.EndsWith("got hello\n", await ReadUntilAsync(process.StandardOutput, "got hello\n", stdout), StringComparison.Ordinal);
        Assert.Equal(0, await process.WaitForExitAsync().WaitAsync(s_wait));

        // Echo is off, so the answer never comes back; once the child is gone the master reads end.
        string rest = await ReadToEndAsync(process.Terminal);
        Assert.DoesNotContain("hello", terminal + rest, StringComparison.Ordinal);
    }

    [Fact(Timeout = 20_000)]
    public async Task NewSessionWithoutTerminalHasNoControllingTerminal()
    {
        using var process = SpawnedProcess.Start("sh", ["-c", "ps -o tty=,sid= -p $$; : </dev/tty && echo opened"], null, withTerminal: false, newSession: true);

        string[] fields = (await ReadToEndAsync(process.StandardOutput)).Split((char[])[' ', '\n'], StringSplitOptions.RemoveEmptyEntries);

        Assert.Equal(["?", process.ProcessId.ToString(CultureInfo.InvariantCulture)], fields);
        Assert.NotEqual(0, await process.WaitForExitAsync().WaitAsync(s_wait));
    }

    [Fact(Timeout = 20_000)]
    public async Task CancelledTerminalReadLosesNothing()
    {
        using var process = SpawnedProcess.Start("sh", ["-c", "read go; printf 'Password: ' >/dev/tty; read x </dev/tty"], null, withTerminal: true);
        Assert.NotNull(process.Terminal);
        var buffer = new byte[64];

        using (var soon = new CancellationTokenSource(TimeSpan.FromMilliseconds(200)))
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => process.Terminal.ReadAsync(buffer, soon.Token).AsTask().WaitAsync(s_wait));
        }

        process.StandardInput.Write("go\n"u8);
        await ReadUntilAsync(process.Terminal, "Password: ", new StringBuilder());
        process.Terminal.Write("x\n"u8);
        Assert.Equal(0, await process.WaitForExitAsync().WaitAsync(s_wait));
    }

    [RootFact]
    [Trait("Needs", "root")]
    public async Task SuFromRootToNobodyRunsUnderTheTerminal()
    {
        using var process = SpawnedProcess.Start("su", ["-s", "/bin/sh", "nobody", "-c", "id -un"], null, withTerminal: true);

        Assert.Equal("nobody\n", await ReadToEndAsync(process.StandardOutput));
        Assert.Equal(0, await process.WaitForExitAsync().WaitAsync(s_wait));
    }

    /// <summary>
    /// sudo reads the password from /dev/tty: the prompt shows on the master and our answer is read.
    /// (--session-command: su -c would run sudo in a session of its own, without our terminal.)
    /// </summary>
    [RootFact]
    [Trait("Needs", "root")]
    public async Task SudoAsksForThePasswordOnTheTerminal()
    {
        using var process = SpawnedProcess.Start("su", ["-s", "/bin/sh", "nobody", "--session-command", "sudo -k -p PW-PROMPT: true"], null, withTerminal: true);
        Assert.NotNull(process.Terminal);
        Task<string> stdout = ReadToEndAsync(process.StandardOutput);
        Task<string> stderr = ReadToEndAsync(process.StandardError);

        var terminal = new StringBuilder();
        await ReadUntilAsync(process.Terminal, "PW-PROMPT:", terminal);
        process.Terminal.Write("not-the-password\n"u8);

        // A second prompt means sudo read our answer from the terminal and rejected it.
        await ReadUntilAsync(process.Terminal, "PW-PROMPT:", terminal.Clear());
        process.Kill();

        // su's death hangs up its session, so sudo goes too and the pipes reach their end.
        Assert.Equal(128 + 9, await process.WaitForExitAsync().WaitAsync(s_wait));
        Assert.DoesNotContain("PW-PROMPT", await stdout + await stderr, StringComparison.Ordinal);
    }

    /// <summary>
    /// util-linux su's PAM conversation (pam_misc) prompts on stderr and reads stdin, terminal or not:
    /// a su transport answers through the stdin pipe, before the protocol starts, not the terminal.
    /// (--session-command keeps the inner su in the session whose controlling terminal is ours.)
    /// </summary>
    [RootFact]
    [Trait("Needs", "root")]
    public async Task SuAsksForThePasswordOnStderrAndReadsStdin()
    {
        using var process = SpawnedProcess.Start("su", ["-s", "/bin/sh", "nobody", "--session-command", "su -c true root"], null, withTerminal: true);

        var stderr = new StringBuilder();
        await ReadUntilAsync(process.StandardError, "Password:", stderr);
        process.StandardInput.Write("not-the-password\n"u8);

        Assert.Contains("Authentication failure", await ReadUntilAsync(process.StandardError, "failure", stderr), StringComparison.Ordinal);
        Assert.Equal(1, await process.WaitForExitAsync().WaitAsync(s_wait));
    }

    [Theory(Timeout = 20_000)]
    [InlineData(false)]
    [InlineData(true)]
    public async Task NoDescriptorOfOursLeaksIntoTheChild(bool withTerminal)
    {
        // Another child's pipes and terminal are open in this process meanwhile.
        using var other = SpawnedProcess.Start("sleep", ["1000"], null, withTerminal: true);
        using var process = SpawnedProcess.Start("ls", ["/proc/self/fd"], null, withTerminal);

        string[] fds = (await ReadToEndAsync(process.StandardOutput)).Split('\n', StringSplitOptions.RemoveEmptyEntries);

        // 3 is ls's own handle on the directory it lists.
        Assert.Equal(["0", "1", "2", "3"], fds);
        Assert.Equal(0, await process.WaitForExitAsync().WaitAsync(s_wait));
    }

    [Fact(Timeout = 20_000)]
    public async Task SigpipeIsDefaultInTheChild()
    {
        using var process = SpawnedProcess.Start("grep", ["SigIgn", "/proc/self/status"], null, withTerminal: false);

        string line = await ReadToEndAsync(process.StandardOutput);
        ulong ignored = ulong.Parse(line.Split(':')[1].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);

        Assert.Equal(0UL, ignored & (1UL << (13 - 1)));
        Assert.Equal(0, await process.WaitForExitAsync().WaitAsync(s_wait));
    }

    [Fact(Timeout = 20_000)]
    public async Task KillReapsTheProcess()
    {
        using var process = SpawnedProcess.Start("sleep", ["1000"], null, withTerminal: true);

        process.Kill();

        Assert.Equal(128 + 9, await process.WaitForExitAsync().WaitAsync(s_wait));
        Assert.False(IsOurChild(process.ProcessId));
    }

    [Fact(Timeout = 20_000)]
    public async Task DisposeKillsReapsAndClosesEverything()
    {
        await Task.Yield();
        var process = SpawnedProcess.Start("sleep", ["1000"], null, withTerminal: true);
        Assert.True(IsOurChild(process.ProcessId));

        process.Dispose();

        Assert.True(process.HasExited);
        Assert.Equal(128 + 9, process.ExitCode);
        Assert.False(IsOurChild(process.ProcessId));
        Assert.False(process.StandardOutput.CanRead);
        Assert.False(process.StandardInput.CanWrite);
        Assert.False(process.Terminal!.CanRead);
        process.Dispose();
    }

    [Fact(Timeout = 20_000)]
    public async Task PipeEndsAtExitEvenWithTerminal()
    {
        using var process = SpawnedProcess.Start("sh", ["-c", "exit 3"], null, withTerminal: true);

        Assert.Equal(string.Empty, await ReadToEndAsync(process.StandardOutput));
        Assert.Equal(3, await process.WaitForExitAsync().WaitAsync(s_wait));
        Assert.Equal(string.Empty, await ReadToEndAsync(process.Terminal!));
    }

    [Fact(Timeout = 20_000)]
    public async Task MissingProgramIsNamedInTheError()
    {
        await Task.Yield();
        var notOnPath = Assert.Throws<Win32Exception>(() => SpawnedProcess.Start("econtext-no-such-program", [], null, withTerminal: true));
        Assert.Equal(2, notOnPath.NativeErrorCode);
        Assert.StartsWith("'econtext-no-such-program' was not found on PATH (", notOnPath.Message, StringComparison.Ordinal);

        var missingPath = Assert.Throws<Win32Exception>(() => SpawnedProcess.Start("/nonexistent/econtext-su", [], null, withTerminal: false));
        Assert.Equal(2, missingPath.NativeErrorCode);
        Assert.Equal("'/nonexistent/econtext-su' does not exist.", missingPath.Message);

        string file = Path.GetTempFileName();
        try
        {
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            var notExecutable = Assert.Throws<Win32Exception>(() => SpawnedProcess.Start(file, [], null, withTerminal: false));
            Assert.Equal(13, notExecutable.NativeErrorCode);
            Assert.Contains($"'{file}' could not be started: permission denied", notExecutable.Message, StringComparison.Ordinal);

            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            File.WriteAllBytes(file, [0, 1, 2, 3]);
            var notAProgram = Assert.Throws<Win32Exception>(() => SpawnedProcess.Start(file, [], null, withTerminal: true));
            Assert.Equal(8, notAProgram.NativeErrorCode);
            Assert.Contains("not a program this system can run", notAProgram.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>The runtime's SIGCHLD handling reaps Process's children; ours must stay ours, and theirs theirs.</summary>
    [Fact(Timeout = 20_000)]
    public async Task WaitsAlongsideSystemDiagnosticsProcess()
    {
        var ours = new List<(SpawnedProcess Process, int Code)>();
        var theirs = new List<(Process Process, int Code)>();
        try
        {
            for (int i = 0; i < 25; i++)
            {
                int code = i + 1;
                ours.Add((SpawnedProcess.Start("sh", ["-c", $"exit {code}"], null, withTerminal: i % 2 == 0), code));
                var start = new ProcessStartInfo("sh") { ArgumentList = { "-c", $"exit {code + 100}" }, UseShellExecute = false };
                theirs.Add((Process.Start(start)!, code + 100));
            }

            foreach ((SpawnedProcess process, int code) in ours)
            {
                Assert.Equal(code, await process.WaitForExitAsync().WaitAsync(s_wait));
            }

            foreach ((Process process, int code) in theirs)
            {
                await process.WaitForExitAsync().WaitAsync(s_wait);
                Assert.Equal(code, process.ExitCode);
            }
        }
        finally
        {
            ours.ForEach(o => o.Process.Dispose());
            theirs.ForEach(t => t.Process.Dispose());
        }
    }

    /// <summary>
    /// Someone else (.NET as pid 1, here the test) may reap our child first: the reaper then takes
    /// the status from the pidfd, which kernels from 6.15 keep. Who wins varies, so it runs a few times.
    /// </summary>
    [Fact(Timeout = 20_000)]
    public async Task ExitCodeSurvivesAnotherReaper()
    {
        bool kernelKeepsStatus = Environment.OSVersion.Version >= new Version(6, 15);
        for (int i = 0; i < 20; i++)
        {
            using var process = SpawnedProcess.Start("sh", ["-c", "read x; exit 5"], null, withTerminal: false);
            Task<int> thief = Task.Factory.StartNew(() => StealExit(process.ProcessId), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

            process.StandardInput.Write("go\n"u8);

            int code = await process.WaitForExitAsync().WaitAsync(s_wait);
            bool thiefWon = await thief.WaitAsync(s_wait) == process.ProcessId;
            Assert.Equal(thiefWon && !kernelKeepsStatus ? SpawnedProcess.UnknownExitCode : 5, code);
        }
    }

    /// <summary>
    /// Processes are reaped by one shared thread polling their pidfds, not by a thread each: a
    /// master with many direct contexts had a waitpid thread per context, and each connect paid for
    /// starting one. Kernels without pidfd_open (before 5.3) still get a thread per process.
    /// </summary>
    [Fact(Timeout = 20_000)]
    public async Task OnePollerThreadReapsEveryProcess()
    {
        var processes = new List<SpawnedProcess>();
        try
        {
            for (int i = 0; i < 6; i++)
            {
                processes.Add(SpawnedProcess.Start("sh", ["-c", $"read x; exit {i + 10}"], null, withTerminal: false));
            }

            bool pidfds = Econtext.Native.Spawn.PidfdOpen(Environment.ProcessId) is int self and >= 0 && Econtext.Native.Libc.Close(self) == 0;
            int reapers = Directory.GetDirectories("/proc/self/task")
                .Count(task => File.ReadAllText(Path.Join(task, "comm")).TrimEnd('\n') is "Econtext reaper" or "Econtext poller");
            if (pidfds)
            {
                Assert.Equal(1, reapers);
            }
            else
            {
                Assert.True(reapers >= processes.Count, $"{reapers} reaper threads for {processes.Count} processes");
            }

            // Exit in reverse order of start: each is reaped on its own, with its own status.
            for (int i = processes.Count - 1; i >= 0; i--)
            {
                processes[i].StandardInput.Write("go\n"u8);
                Assert.Equal(i + 10, await processes[i].WaitForExitAsync().WaitAsync(s_wait));
                Assert.False(IsOurChild(processes[i].ProcessId));
            }
        }
        finally
        {
            processes.ForEach(p => p.Dispose());
        }
    }

    [Fact(Timeout = 20_000)]
    public async Task WaitForExitHonoursCancellation()
    {
        using var process = SpawnedProcess.Start("sleep", ["1000"], null, withTerminal: false);
        using var cancel = new CancellationTokenSource();
        Task<int> wait = process.WaitForExitAsync(cancel.Token);

        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => wait);
        Assert.False(process.HasExited);
    }

    private static int StealExit(int pid) => Econtext.Native.Spawn.WaitPid(pid, out _, 0);

    /// <summary>True if <paramref name="pid"/> is still a process (zombie included) whose parent is us.</summary>
    private static bool IsOurChild(int pid)
    {
        try
        {
            string status = File.ReadAllText($"/proc/{pid}/status");
            string parent = status.Split('\n').Single(l => l.StartsWith("PPid:", StringComparison.Ordinal));
            return int.Parse(parent["PPid:".Length..].Trim(), CultureInfo.InvariantCulture) == Environment.ProcessId;
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException or IOException)
        {
            return false;
        }
    }

    private static async Task<string> ReadToEndAsync(Stream stream)
    {
        using var reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: false, bufferSize: 1024, leaveOpen: true);
        return await reader.ReadToEndAsync().WaitAsync(s_wait);
    }

    /// <summary>Reads into <paramref name="seen"/> until it contains <paramref name="expected"/>; returns all seen.</summary>
    private static async Task<string> ReadUntilAsync(Stream stream, string expected, StringBuilder seen)
    {
        var buffer = new byte[1024];
        while (!seen.ToString().Contains(expected, StringComparison.Ordinal))
        {
            int count = await stream.ReadAsync(buffer).AsTask().WaitAsync(s_wait);
            if (count == 0)
            {
                throw new EndOfStreamException($"The stream ended before '{expected}'; it had: {seen}");
            }

            seen.Append(Encoding.UTF8.GetString(buffer, 0, count));
        }

        return seen.ToString();
    }

    /// <summary>su and sudo from root need no password: these tests only run as root.</summary>
    private sealed class RootFactAttribute : FactAttribute
    {
        public RootFactAttribute()
        {
            Timeout = 20_000;
            if (Environment.UserName != "root")
            {
                Skip = "needs root (su to another user without a password)";
            }
        }
    }
}
