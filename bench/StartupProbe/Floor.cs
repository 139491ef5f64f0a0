namespace Econtext.StartupProbe;

/// <summary>The runtime floor as bench/Econtext.Bench/RuntimeFloor.cs makes it: `dotnet exec` of our loader.</summary>
internal sealed class Floor : IDisposable
{
    private readonly string _config = Path.Combine(Path.GetTempPath(), $"startup-probe-{Environment.ProcessId}.json");

    private Floor(string loader)
    {
        Loader = loader;
        File.WriteAllText(_config, "{\"runtimeOptions\":{\"tfm\":\"net10.0\",\"rollForward\":\"LatestMajor\",\"framework\":{\"name\":\"Microsoft.NETCore.App\",\"version\":\"10.0.0\"},\"configProperties\":{\"System.Globalization.Invariant\":true}}}");
    }

    public string Loader { get; }

    public static Floor? Create()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "src", "Econtext.Loader", "bin", "Release", "net10.0", "Econtext.Loader.dll");
            if (File.Exists(candidate))
            {
                return new Floor(candidate);
            }
        }

        return null;
    }

    public Process Start()
    {
        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardInput = true };
        foreach (string argument in (string[])["exec", "--runtimeconfig", _config, Loader])
        {
            start.ArgumentList.Add(argument);
        }

        return Process.Start(start)!;
    }

    /// <summary>One run exactly as bench/run times it: stdin closed at once, so Main returns on its first read.</summary>
    public async Task<(double WallMs, double CpuMs)> RunClosedAsync()
    {
        Native.Rusage before = Native.Usage(Native.RusageChildren);
        var watch = Stopwatch.StartNew();
        using (Process process = Start())
        {
            process.StandardInput.Close();
            await process.WaitForExitAsync();
        }

        double wall = watch.Elapsed.TotalMilliseconds;
        return (wall, Native.Usage(Native.RusageChildren).CpuMs - before.CpuMs);
    }

    /// <summary>
    /// One run with stdin left open, read from /proc once the loader's main thread blocks reading
    /// fd 0: the state the runtime is in when our code could first start working.
    /// </summary>
    public async Task<ProcSnapshot?> SnapshotAtFirstReadAsync()
    {
        using Process process = Start();
        try
        {
            var deadline = Stopwatch.StartNew();
            while (deadline.Elapsed < TimeSpan.FromSeconds(5))
            {
                // /proc/PID/syscall starts "0 0x0" while the thread is in read(0, ...) on x86-64.
                string syscall = File.ReadAllText($"/proc/{process.Id}/syscall");
                if (syscall.StartsWith("0 0x0 ", StringComparison.Ordinal))
                {
                    return ProcSnapshot.Read(process.Id);
                }

                await Task.Delay(1);
            }

            return null;
        }
        finally
        {
            process.StandardInput.Close();
            await process.WaitForExitAsync();
        }
    }

    public void Dispose() => File.Delete(_config);
}
