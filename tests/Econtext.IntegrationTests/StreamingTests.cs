namespace Econtext.IntegrationTests;

/// <summary>IAsyncEnumerable results stream item by item, with backpressure, and end cleanly from either side.</summary>
public sealed class StreamingTests : IClassFixture<ChildFixture>
{
    private readonly Context _ctx;
    private readonly Router _router;

    public StreamingTests(ChildFixture fixture)
    {
        _ctx = fixture.Context;
        _router = fixture.Router;
    }

    [Fact(Timeout = 60000)]
    public async Task All_items_arrive_in_order()
    {
        string key = Guid.NewGuid().ToString();
        var items = new List<int>();
        await foreach (int item in _ctx.StreamAsync(() => Streams.CountAsync(key, 500, CancellationToken.None)))
        {
            items.Add(item);
        }

        Assert.Equal(Enumerable.Range(0, 500), items);
        Assert.True(await _ctx.CallAsync(() => Streams.WaitStoppedAsync(key, 5000)).WaitAsync(Bound));
    }

    [Fact(Timeout = 60000)]
    public async Task Items_arrive_as_they_are_produced()
    {
        string key = Guid.NewGuid().ToString();
        var items = new List<string>();
        await foreach (string item in _ctx.StreamAsync(() => Streams.FirstThenGateAsync(key)))
        {
            items.Add(item);
            if (item == "first")
            {
                // The producer is waiting for this before it yields again: the first item came alone.
                await _ctx.CallAsync(() => Streams.Open(key)).WaitAsync(Bound);
            }
        }

        Assert.Equal(["first", "second"], items);
    }

    [Fact(Timeout = 60000)]
    public async Task A_slow_consumer_holds_the_producer_to_a_small_window()
    {
        string key = Guid.NewGuid().ToString();
        int seen = 0;
        await foreach (int item in _ctx.StreamAsync(() => Streams.CountAsync(key, 100_000, CancellationToken.None)))
        {
            if (++seen == 3)
            {
                // Once the producer has used its window it is held back (were it not, it would run
                // on to 100,000 and the window would never be used up); then ask how far it got.
                int handle = Assert.Single(AttackKit.PendingHandlesFor(_router, _ctx.Id));
                Assert.True(await _ctx.CallAsync(() => Streams.WaitHeldBackAsync(handle, 20_000)).WaitAsync(Bound), "the producer was never held back");
                int produced = await _ctx.CallAsync(() => Streams.Produced(key)).WaitAsync(Bound);
                Assert.InRange(produced, 3, 3 + 32);
                break;
            }
        }

        Assert.True(await _ctx.CallAsync(() => Streams.WaitStoppedAsync(key, 10_000)).WaitAsync(Bound), "leaving the loop did not stop the producer");
        Assert.True(await _ctx.CallAsync(() => Streams.Produced(key)).WaitAsync(Bound) < 1000);
    }

    [Fact(Timeout = 60000)]
    public async Task Cancelling_the_consumer_stops_the_producer()
    {
        string key = Guid.NewGuid().ToString();
        using var cts = new CancellationTokenSource();
        int seen = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (int item in _ctx.StreamAsync(() => Streams.CountAsync(key, 100_000, CancellationToken.None), cts.Token))
            {
                if (++seen == 5)
                {
                    await cts.CancelAsync();
                }
            }
        }).WaitAsync(Bound);

        Assert.True(await _ctx.CallAsync(() => Streams.WaitStoppedAsync(key, 10_000)).WaitAsync(Bound), "cancelling did not stop the producer");
    }

    [Fact(Timeout = 60000)]
    public async Task An_exception_in_the_producer_ends_the_stream_after_the_items_before_it()
    {
        var items = new List<Point3>();
        RemoteException error = await Assert.ThrowsAsync<RemoteException>(async () =>
        {
            await foreach (Point3 item in _ctx.StreamAsync(() => Streams.ThrowsAfterAsync(20)))
            {
                items.Add(item);
            }
        }).WaitAsync(Bound);

        Assert.Equal(20, items.Count);
        Assert.Equal(new Point3(19, 38, 57), items[^1]);
        Assert.Equal("System.IO.InvalidDataException", error.RemoteType);
        Assert.Equal("broke after 20", error.Message);
    }

    [Fact(Timeout = 60000)]
    public async Task CallAsync_on_a_streaming_method_says_to_use_StreamAsync()
    {
        await Task.Yield();
        // Thrown synchronously, at the call site, before any task exists.
        ArgumentException error = Assert.Throws<ArgumentException>(() => { _ = _ctx.CallAsync(() => Streams.CountAsync("x", 1, CancellationToken.None)); });
        Assert.Contains("StreamAsync", error.Message, StringComparison.Ordinal);
    }
}
