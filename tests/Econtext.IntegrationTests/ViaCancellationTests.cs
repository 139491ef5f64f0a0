using Microsoft.Extensions.Logging;

namespace Econtext.IntegrationTests;

/// <summary>
/// A connect through an intermediate that the caller cancels leaves nothing running: not the
/// transport, not a context that came up anyway, and nothing in <see cref="Router.Contexts"/>.
/// </summary>
public sealed class ViaCancellationTests
{
    [Fact(Timeout = 60000)]
    public async Task Cancelling_a_connect_through_an_intermediate_while_it_is_under_way_leaves_no_process()
    {
        using var host = HeldDotnet.Create(hold: true);
        await using var router = new Router();
        Context middle = await router.LocalAsync(new LocalOptions { Name = "mid" }).WaitAsync(Bound);
        using var cts = new CancellationTokenSource();

        Task<Context> connect = router.LocalAsync(new LocalOptions { Name = "held", Via = middle, DotnetPath = host.Path }, cts.Token);
        int pid = await host.StartedAsync().WaitAsync(Bound);

        // Stage 0 has printed its marker and the intermediate is sending the preamble: cancel now.
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => connect).WaitAsync(Bound);

        // Let the runtime start if the process is still there: nothing may have been left to do so.
        host.Release();
        Assert.True(await ProcessWatch.WaitForExitAsync(pid, TimeSpan.FromSeconds(10)), $"the cancelled connect left process {pid} running");
        Assert.Equal([middle.Id], router.Contexts.Select(c => c.Id));
        Assert.Equal(5, await middle.CallAsync(() => Echo.Add(2, 3)).WaitAsync(Bound));
    }

    [Fact(Timeout = 60000)]
    public async Task Cancelling_as_the_intermediate_finishes_the_connect_leaves_no_process()
    {
        using var host = HeldDotnet.Create(hold: false);
        using var logs = new CapturingLoggerProvider();
        using var cts = new CancellationTokenSource();

        // The intermediate logs "<name> ready in ..." once the new context is up and routed, right
        // before it replies: cancelling on the master's receive loop while it delivers that record
        // means the reply, when it comes, finds the call already given up.
        logs.Observer = entry =>
        {
            if (entry.Message.StartsWith("just-in-time ready in", StringComparison.Ordinal))
            {
                cts.Cancel();
            }
        };
        using ILoggerFactory factory = logs.CreateFactory();
        await using var router = new Router(new RouterOptions { LoggerFactory = factory });
        Context middle = await router.LocalAsync(new LocalOptions { Name = "mid" }).WaitAsync(Bound);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => router.LocalAsync(new LocalOptions { Name = "just-in-time", Via = middle, DotnetPath = host.Path }, cts.Token)).WaitAsync(Bound);

        int pid = await host.StartedAsync().WaitAsync(Bound);
        Assert.True(await ProcessWatch.WaitForExitAsync(pid, TimeSpan.FromSeconds(10)), $"the context that came up as its connect was cancelled (pid {pid}) still runs");
        Assert.Equal([middle.Id], router.Contexts.Select(c => c.Id));
        Assert.Equal(5, await middle.CallAsync(() => Echo.Add(2, 3)).WaitAsync(Bound));
    }
}
