using System.Text;

namespace Econtext.TransportTests.Infrastructure;

/// <summary>
/// Scans every process's command line and environment (what <c>ps -ef</c> and <c>ps e</c> show, and
/// what any local user can read of their own processes) over and over while a password connection
/// is being made, and records any process where one of the secrets shows up. Running as root, it
/// sees the processes of every user, including the askpass helper, sudo, su and doas.
/// </summary>
public sealed class SecretWatch : IAsyncDisposable
{
    private readonly byte[][] _secrets;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<string> _hits = [];
    private readonly Task _loop;
    private int _scans;

    private SecretWatch(IEnumerable<string> secrets)
    {
        _secrets = secrets.Select(s => Encoding.UTF8.GetBytes(s)).ToArray();
        _loop = Task.Factory.StartNew(Loop, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    public static SecretWatch Start(params string[] secrets) => new(secrets);

    /// <summary>Stops scanning and fails the test if a secret was seen in any process's argv or environment.</summary>
    public async Task AssertNeverSeenAsync()
    {
        await StopAsync();
        Assert.True(_scans > 0, "the /proc scan never completed");
        lock (_hits)
        {
            Assert.True(_hits.Count == 0, "a password was visible to ps:" + Environment.NewLine + string.Join(Environment.NewLine, _hits.Distinct()));
        }
    }

    /// <summary>Stops scanning and returns where the secrets were seen.</summary>
    public async Task<IReadOnlyList<string>> StopAndGetHitsAsync()
    {
        await StopAsync();
        lock (_hits)
        {
            return [.. _hits.Distinct()];
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stop.Dispose();
    }

    private async Task StopAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            // One more full pass after the connection is up, so long-lived processes are surely seen.
            int before = Volatile.Read(ref _scans);
            long deadline = Environment.TickCount64 + 5000;
            while (Volatile.Read(ref _scans) < before + 2 && Environment.TickCount64 < deadline && !_loop.IsCompleted)
            {
                await Task.Delay(5);
            }

            _stop.Cancel();
        }

        await _loop;
    }

    private void Loop()
    {
        while (!_stop.IsCancellationRequested)
        {
            foreach (int pid in Processes.All())
            {
                Check(pid, "cmdline");
                Check(pid, "environ");
            }

            Interlocked.Increment(ref _scans);
        }
    }

    private void Check(int pid, string what)
    {
        byte[] data;
        try
        {
            data = File.ReadAllBytes($"/proc/{pid}/{what}");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return;
        }

        foreach (byte[] secret in _secrets)
        {
            if (secret.Length > 0 && data.AsSpan().IndexOf(secret) >= 0)
            {
                string hit = $"pid {pid} ({Processes.CommandLine(pid)}): in its {what}";
                lock (_hits)
                {
                    _hits.Add(hit);
                }
            }
        }
    }
}
