namespace Econtext.IntegrationTests;

/// <summary>A long-running master that starts and ends many contexts does not accumulate descriptors, threads or bookkeeping.</summary>
[Collection(SerialCollection.Name)]
public sealed class ResourceTests
{
    [Fact(Timeout = 120000)]
    public async Task Starting_and_ending_contexts_leaks_no_descriptors_threads_or_entries()
    {
        await using var router = new Router();
        await CycleAsync(router, 3);
        await WaitForReapingAsync(router);
        int fdsBefore = OpenDescriptors();
        int threadsBefore = System.Diagnostics.Process.GetCurrentProcess().Threads.Count;

        await CycleAsync(router, 30);
        await WaitForReapingAsync(router);

        int fdsAfter = OpenDescriptors();
        int threadsAfter = System.Diagnostics.Process.GetCurrentProcess().Threads.Count;
        Assert.True(fdsAfter - fdsBefore < 10, $"open descriptors grew from {fdsBefore} to {fdsAfter} over 30 contexts");
        Assert.True(threadsAfter - threadsBefore < 10, $"threads grew from {threadsBefore} to {threadsAfter} over 30 contexts");
        Assert.Empty(router.Contexts);
    }

    private static async Task CycleAsync(Router router, int count)
    {
        for (int i = 0; i < count; i++)
        {
            Context ctx = await router.LocalAsync().WaitAsync(Bound);
            Assert.Equal(3, await ctx.CallAsync(() => Echo.Add(1, 2)).WaitAsync(Bound));
            await ctx.ShutdownAsync().WaitAsync(Bound);
        }
    }

    /// <summary>Transport processes are reaped in the background after a context ends; wait until none is left.</summary>
    private static async Task WaitForReapingAsync(Router router)
    {
        using var deadline = new CancellationTokenSource(Bound);
        while (router.TransportCount() > 0)
        {
            await Task.Delay(20, deadline.Token);
        }
    }

    private static int OpenDescriptors() => Directory.GetFiles("/proc/self/fd").Length;
}
