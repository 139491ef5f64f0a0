using System.Threading.Channels;

namespace Econtext.IntegrationTests;

/// <summary>A CancellationToken parameter of the remote method is cancelled by the caller's token, across the wire.</summary>
public sealed class CancellationTests(ChildFixture fixture) : IClassFixture<ChildFixture>
{
    private const int RemoteWaitMs = 20_000;
    private readonly Context _ctx = fixture.Context;

    [Fact(Timeout = 60000)]
    public async Task Cancelling_the_callers_token_cancels_the_remote_method()
    {
        string key = Guid.NewGuid().ToString();
        using var cts = new CancellationTokenSource();
        Task<int> call = _ctx.CallAsync(() => Cancellable.WaitUntilCancelledAsync(key, CancellationToken.None, 1), cts.Token);
        Assert.True(await _ctx.CallAsync(() => Cancellable.WaitStartedAsync(key, RemoteWaitMs)).WaitAsync(Bound), "the remote method never started");
        Assert.False(call.IsCompleted);

        await cts.CancelAsync();

        OperationCanceledException ex = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call).WaitAsync(Bound);
        Assert.Equal(cts.Token, ex.CancellationToken);
        Assert.True(await _ctx.CallAsync(() => Cancellable.WaitObservedAsync(key, RemoteWaitMs)).WaitAsync(Bound), "the remote method did not see its token cancelled");
    }

    [Fact(Timeout = 60000)]
    public async Task Cancellation_reaches_a_synchronous_method_blocking_on_its_token()
    {
        string key = Guid.NewGuid().ToString();
        using var cts = new CancellationTokenSource();
        Task call = _ctx.CallAsync(() => Cancellable.BlockUntilCancelled(key, CancellationToken.None), cts.Token);
        Assert.True(await _ctx.CallAsync(() => Cancellable.WaitStartedAsync(key, RemoteWaitMs)).WaitAsync(Bound), "the remote method never started");

        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call).WaitAsync(Bound);
        Assert.True(await _ctx.CallAsync(() => Cancellable.WaitObservedAsync(key, RemoteWaitMs)).WaitAsync(Bound), "the remote method did not see its token cancelled");
    }

    [Fact(Timeout = 60000)]
    public async Task Cancelling_right_after_the_call_is_sent_still_reaches_the_remote_method()
    {
        // No wait for the remote method to start: the CANCEL may overtake the call's dispatch in the child,
        // in which case the method must not run at all; if it did start, it must see the cancellation.
        for (int i = 0; i < 10; i++)
        {
            string key = Guid.NewGuid().ToString();
            using var cts = new CancellationTokenSource();
            Task<int> call = _ctx.CallAsync(() => Cancellable.WaitUntilCancelledAsync(key, CancellationToken.None, 1), cts.Token);
            await cts.CancelAsync();

            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call).WaitAsync(Bound);
            Assert.True(
                await _ctx.CallAsync(() => Cancellable.WaitObservedOrNeverStartedAsync(key, 5000)).WaitAsync(Bound),
                $"round {i}: the cancellation was lost; the remote method still waits");
        }
    }

    [Fact(Timeout = 60000)]
    public async Task Already_cancelled_token_fails_the_call_without_running_it()
    {
        string key = Guid.NewGuid().ToString();
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _ctx.CallAsync(() => Effects.Set(key, "ran"), cts.Token)).WaitAsync(Bound);

        Assert.Null(await _ctx.CallAsync(() => Effects.WaitFor(key, 500)).WaitAsync(Bound));
    }

    [Fact(Timeout = 60000)]
    public async Task Token_that_is_never_cancelled_lets_the_call_complete()
    {
        using var cts = new CancellationTokenSource();
        Assert.True(await _ctx.CallAsync(() => Cancellable.NotCancelled(CancellationToken.None), cts.Token).WaitAsync(Bound));
        Assert.True(await _ctx.CallAsync(() => Cancellable.NotCancelled(CancellationToken.None)).WaitAsync(Bound));
    }

    [Fact(Timeout = 60000)]
    public async Task Cancelling_one_call_leaves_the_others_running()
    {
        string cancelled = Guid.NewGuid().ToString();
        string kept = Guid.NewGuid().ToString();
        using var cancelMe = new CancellationTokenSource();
        using var keepMe = new CancellationTokenSource();
        Task<int> first = _ctx.CallAsync(() => Cancellable.WaitUntilCancelledAsync(cancelled, CancellationToken.None, 1), cancelMe.Token);
        Task<int> second = _ctx.CallAsync(() => Cancellable.WaitUntilCancelledAsync(kept, CancellationToken.None, 2), keepMe.Token);
        Assert.True(await _ctx.CallAsync(() => Cancellable.WaitStartedAsync(cancelled, RemoteWaitMs)).WaitAsync(Bound));
        Assert.True(await _ctx.CallAsync(() => Cancellable.WaitStartedAsync(kept, RemoteWaitMs)).WaitAsync(Bound));

        await cancelMe.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first).WaitAsync(Bound);
        Assert.True(await _ctx.CallAsync(() => Cancellable.WaitObservedAsync(cancelled, RemoteWaitMs)).WaitAsync(Bound));

        Assert.False(await _ctx.CallAsync(() => Cancellable.WaitObservedAsync(kept, 200)).WaitAsync(Bound), "the other call was cancelled too");
        Assert.False(second.IsCompleted);
        await keepMe.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => second).WaitAsync(Bound);
    }

    [Fact(Timeout = 60000)]
    public async Task Cancelling_a_call_ends_the_ChannelReader_its_method_awaits()
    {
        // The method takes no token and waits for the next item: the caller's pump stops on cancel,
        // so unless the channel itself ends, the method would wait in the context for ever.
        string key = Guid.NewGuid().ToString();
        var items = Channel.CreateUnbounded<int>();
        ChannelReader<int> reader = items.Reader;
        using var cts = new CancellationTokenSource();
        Task<int> call = _ctx.CallAsync(() => Cancellable.ReadUntilTheChannelEndsAsync(key, reader), cts.Token);
        items.Writer.TryWrite(1);
        Assert.True(await _ctx.CallAsync(() => Cancellable.WaitStartedAsync(key, RemoteWaitMs)).WaitAsync(Bound), "the remote method never read the first item");

        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call).WaitAsync(Bound);
        Assert.True(
            await _ctx.CallAsync(() => Cancellable.WaitObservedAsync(key, 10_000)).WaitAsync(Bound),
            "the remote method still waits for an item 10 s after its call was cancelled: its channel never ended");
    }
}
