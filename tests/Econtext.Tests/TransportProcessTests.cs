using Econtext.Transports;

namespace Econtext.Tests;

/// <summary>
/// A transport's stderr and terminal, read by the shared poller thread: lines, a password prompt
/// answered once, and what is left when the process ends. Real processes, real pipes and terminals.
/// </summary>
[Collection(SerialCollection.Name)]
public class TransportProcessTests
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(15);

    [Fact(Timeout = 20_000)]
    public async Task StderrAndTerminalAreReadWithoutAThreadEach()
    {
        var transports = new List<TransportProcess>();
        int pumpThreadsBefore = PumpThreads();
        try
        {
            var firstLines = new List<Task>();
            for (int i = 0; i < 6; i++)
            {
                // "two" has no line end: it is what is left when stderr ends.
                TransportProcess transport = TransportProcess.Start(Spec("echo one >&2; echo tty >/dev/tty; read x; printf two >&2", terminal: true), null);
                var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                void Check(string _)
                {
                    IReadOnlyList<string> lines = transport.RecentLines();
                    if (lines.Contains("one") && lines.Contains("tty"))
                    {
                        seen.TrySetResult();
                    }
                }

                // Lines are remembered before they are handed on: checking after the callback is set
                // also catches those that came before it.
                transport.LateStderr = Check;
                Check(string.Empty);
                transports.Add(transport);
                firstLines.Add(seen.Task);
            }

            await Task.WhenAll(firstLines).WaitAsync(s_wait);

            // The old pumps were a long-running task per stream: twelve threads here.
            bool pidfds = Econtext.Native.Spawn.PidfdOpen(Environment.ProcessId) is int self and >= 0 && Econtext.Native.Libc.Close(self) == 0;
            Assert.Equal(pidfds ? 0 : 12, PumpThreads() - pumpThreadsBefore);

            foreach (TransportProcess transport in transports)
            {
                transport.Input.Write("go\n"u8);
            }

            foreach (TransportProcess transport in transports)
            {
                await transport.OutputDrained.WaitAsync(s_wait);
                Assert.Equal(["one", "tty", "two"], transport.RecentLines().Order(StringComparer.Ordinal));
            }
        }
        finally
        {
            transports.ForEach(t => t.Dispose());
        }
    }

    [Fact(Timeout = 20_000)]
    public async Task PasswordPromptOnStderrIsAnsweredOnceOnStdin()
    {
        // su's way: the prompt on stderr without a line end, the answer read from stdin.
        using TransportProcess transport = TransportProcess.Start(
            Spec("printf 'Password: ' >&2; read p; echo \"got $p\" >&2", terminal: false, password: "s3cret"), null);

        await transport.OutputDrained.WaitAsync(s_wait);

        Assert.Equal(["Password:", "got s3cret"], transport.RecentLines());
        Assert.True(transport.PasswordTyped);
        Assert.False(transport.PasswordRefused);
    }

    [Fact(Timeout = 20_000)]
    public async Task SecondPromptOnTheTerminalMeansRefusedAndEndsTheProcess()
    {
        // sudo's way: prompts on /dev/tty; the same prompt again means the password was refused.
        using TransportProcess transport = TransportProcess.Start(
            Spec("printf 'Password: ' >/dev/tty; read p </dev/tty; printf 'Password: ' >/dev/tty; read p </dev/tty; echo unreachable >&2", terminal: true, password: "wrong"), null);

        await transport.OutputDrained.WaitAsync(s_wait);

        Assert.True(transport.PasswordRefused);
        Assert.DoesNotContain("unreachable", transport.RecentLines());
        Assert.Contains("killed by signal 9", transport.DescribeExit(s_wait), StringComparison.Ordinal);
    }

    /// <summary>
    /// Without the poller (it could not start, or no pidfd: kernels before 5.3) each process gets its
    /// reaper thread and each stream its pump thread again, doing the same work.
    /// </summary>
    [Fact(Timeout = 20_000)]
    public async Task WithoutThePollerAThreadPerStreamDoesTheSame()
    {
        DescriptorPoller.RefuseForTests = true;
        try
        {
            int before = PumpThreads();
            using TransportProcess transport = TransportProcess.Start(
                Spec("echo one >&2; printf 'Password: ' >/dev/tty; read p </dev/tty; echo \"got $p\" >&2; read x; printf two >&2", terminal: true, password: "s3cret"), null);
            var got = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            void Check(string _)
            {
                if (transport.RecentLines().Contains("got s3cret"))
                {
                    got.TrySetResult();
                }
            }

            transport.LateStderr = Check;
            Check(string.Empty);
            await got.Task.WaitAsync(s_wait);

            // Both pumps (stderr, terminal) block in read(2) on threads of their own, once the one
            // that just read "got s3cret" has handed the line on and gone back to reading.
            using (var deadline = new CancellationTokenSource(s_wait))
            {
                while (PumpThreads() - before != 2 && !deadline.IsCancellationRequested)
                {
                    await Task.Delay(5, CancellationToken.None);
                }
            }

            Assert.Equal(2, PumpThreads() - before);

            transport.Input.Write("go\n"u8);
            await transport.OutputDrained.WaitAsync(s_wait);
            // Two pumps on two threads: lines of stderr and of the terminal may interleave either way.
            Assert.Equal(["Password:", "got s3cret", "one", "two"], transport.RecentLines().Order(StringComparer.Ordinal));
            Assert.True(transport.PasswordTyped);
            Assert.Equal("exited with code 0", transport.DescribeExit(s_wait));
        }
        finally
        {
            DescriptorPoller.RefuseForTests = false;
        }
    }

    private static TransportSpec Spec(string script, bool terminal, string? password = null) => new()
    {
        Program = "/bin/sh",
        Arguments = ["-c", script],
        Description = "sh",
        Name = "test",
        UseTerminal = terminal,
        PasswordMode = password is null ? PasswordMode.None : PasswordMode.Terminal,
        Password = password,
    };

    /// <summary>
    /// Threads blocked in read(2) on a pipe or a terminal master: what a pump thread per stream
    /// looks like (/proc/self/task/N/syscall gives the call and its first argument, the descriptor).
    /// </summary>
    private static int PumpThreads()
    {
        long read = System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture == System.Runtime.InteropServices.Architecture.Arm64 ? 63 : 0;
        int count = 0;
        foreach (string task in Directory.GetDirectories("/proc/self/task"))
        {
            string[] call;
            try
            {
                call = File.ReadAllText(Path.Join(task, "syscall")).Split(' ');
            }
            catch (IOException)
            {
                continue;
            }

            if (call.Length < 2 || call[0] != read.ToString(System.Globalization.CultureInfo.InvariantCulture))
            {
                continue;
            }

            long fd = Convert.ToInt64(call[1], 16);
            string? target = new FileInfo($"/proc/self/fd/{fd}").LinkTarget;
            if (target is not null && (target.StartsWith("pipe:", StringComparison.Ordinal) || target == "/dev/ptmx"))
            {
                count++;
            }
        }

        return count;
    }
}
