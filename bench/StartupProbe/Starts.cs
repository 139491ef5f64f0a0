namespace Econtext.StartupProbe;

internal static class Starts
{
    public static async Task RunAsync(int runs, string pidFile)
    {
        await using var router = new Router();
        Context warm = await router.LocalAsync();
        await warm.CallAsync(() => Workload.Ping());
        await warm.ShutdownAsync();

        var lines = new List<string> { $"master {Environment.ProcessId}" };
        for (int i = 0; i < runs; i++)
        {
            Context context = await router.LocalAsync();
            await context.CallAsync(() => Workload.Ping());
            lines.Add($"child {context.RemoteProcessId}");
            await context.ShutdownAsync();
        }

        await File.WriteAllLinesAsync(pidFile, lines);
    }
}
