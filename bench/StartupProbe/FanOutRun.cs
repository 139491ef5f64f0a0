namespace Econtext.StartupProbe;

/// <summary>
/// N ssh contexts started at once and one call on each, as bench/run's fan-out row does, for
/// bench/fanout-profile to sample with perf. The master is warmed first (one ssh context), and it
/// writes "start" and "end" lines with the wall time so the profile can be read per connection.
/// </summary>
internal static class FanOutRun
{
    public static async Task RunAsync(int count, string sshConfig, string host)
    {
        await using var router = new Router();
        var options = new SshOptions { Host = host, SshArgs = ["-F", sshConfig] };
        Context warm = await router.SshAsync(options);
        await warm.CallAsync(() => Workload.Ping());
        await warm.ShutdownAsync();

        var watch = Stopwatch.StartNew();
        Context[] contexts = await Task.WhenAll(Enumerable.Range(0, count).Select(i => router.SshAsync(options with { Name = "fan" + i })));
        double connected = watch.Elapsed.TotalMilliseconds;
        int answered = 0;
        await foreach (ContextResult<int> one in contexts.CallEachAsync(() => Workload.Ping()))
        {
            answered += one.Succeeded ? 1 : 0;
        }

        double all = watch.Elapsed.TotalMilliseconds;
        await Task.WhenAll(contexts.Select(c => c.ShutdownAsync()));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{count} ssh contexts: all connected after {connected:0} ms, all answered after {all:0} ms ({answered} answered)"));
    }
}
