using System.Threading.Channels;

namespace Econtext.IntegrationTests;

/// <summary>ChannelReader and ChannelWriter parameters: items flow both ways with backpressure and end cleanly.</summary>
public sealed class ChannelTests : IClassFixture<ChildFixture>
{
    private readonly Context _ctx;

    private readonly Router _router;

    public ChannelTests(ChildFixture fixture)
    {
        _ctx = fixture.Context;
        _router = fixture.Router;
    }

    [Fact(Timeout = 60000)]
    public async Task A_remote_method_reads_the_callers_channel_to_its_end()
    {
        var numbers = Channel.CreateUnbounded<int>();
        Task<long> sum = _ctx.CallAsync(() => Channels.SumAsync(numbers.Reader));
        for (int i = 1; i <= 1000; i++)
        {
            await numbers.Writer.WriteAsync(i);
        }

        numbers.Writer.Complete();
        Assert.Equal(500500, await sum.WaitAsync(Bound));
    }

    [Fact(Timeout = 60000)]
    public async Task The_caller_sends_no_further_ahead_than_the_window_of_a_slow_reader()
    {
        string key = Guid.NewGuid().ToString();
        var lines = Channel.CreateUnbounded<string>();
        for (int i = 0; i < 10_000; i++)
        {
            lines.Writer.TryWrite("line " + i);
        }

        lines.Writer.Complete();
        Task<int> call = _ctx.CallAsync(() => Channels.ReadSomeThenWaitAsync(key, 3, lines.Reader));

        // While the remote reader waits after 3 items, at most a window's worth more leave this
        // process: the pump uses up its window and then waits for credit (were it not held back, it
        // would send all 10,000 and never wait).
        int handle = Assert.Single(AttackKit.PendingHandlesFor(_router, _ctx.Id));
        using (var deadline = new CancellationTokenSource(Bound))
        {
            while (!_router.WaitsForCredit(_ctx.Id, handle))
            {
                Assert.False(deadline.IsCancellationRequested, $"the caller's pump never waited for credit; {10_000 - lines.Reader.Count} items taken");
                await Task.Delay(5, CancellationToken.None);
            }
        }

        Assert.InRange(10_000 - lines.Reader.Count, 3, 3 + 32);
        await _ctx.CallAsync(() => Channels.Open(key)).WaitAsync(Bound);
        Assert.Equal(10_000, await call.WaitAsync(Bound));
    }

    [Fact(Timeout = 60000)]
    public async Task A_remote_method_writes_into_the_callers_channel_which_completes_when_it_returns()
    {
        string key = Guid.NewGuid().ToString();
        var output = Channel.CreateUnbounded<Point3>();
        int returned = await _ctx.CallAsync(() => Channels.ProduceAsync(key, 500, output.Writer)).WaitAsync(Bound);

        Assert.Equal(500, returned);
        var items = new List<Point3>();
        await foreach (Point3 item in output.Reader.ReadAllAsync().WithCancellation(CancellationToken.None))
        {
            items.Add(item);
        }

        Assert.Equal(500, items.Count);
        Assert.Equal(new Point3(499, -499, 499 * 499), items[^1]);
    }

    [Fact(Timeout = 60000)]
    public async Task A_caller_that_does_not_read_holds_the_remote_writer_back()
    {
        string key = Guid.NewGuid().ToString();
        var output = Channel.CreateBounded<Point3>(1);
        Task<int> call = _ctx.CallAsync(() => Channels.ProduceAsync(key, 10_000, output.Writer));

        // The producer is held back once the window is used up (it would write all 10,000 otherwise).
        Assert.True(await _ctx.CallAsync(() => Channels.WaitHeldBackAsync(key, 20_000)).WaitAsync(Bound), "the remote writer was never held back");
        int progress = await _ctx.CallAsync(() => Channels.Progress(key)).WaitAsync(Bound);
        Assert.InRange(progress, 1, 1 + (2 * 16) + 2);

        int read = 0;
        await foreach (Point3 _ in output.Reader.ReadAllAsync().WithCancellation(CancellationToken.None))
        {
            read++;
        }

        Assert.Equal(10_000, read);
        Assert.Equal(10_000, await call.WaitAsync(Bound));
    }

    [Fact(Timeout = 60000)]
    public async Task A_failing_writer_delivers_its_items_then_its_error_to_the_channel_and_the_call()
    {
        var output = Channel.CreateUnbounded<int>();
        RemoteException error = await Assert.ThrowsAsync<RemoteException>(() => _ctx.CallAsync(() => Channels.ProduceThenFailAsync(40, output.Writer))).WaitAsync(Bound);
        Assert.Equal("producer failed after 40", error.Message);

        var items = new List<int>();
        RemoteException channelError = await Assert.ThrowsAsync<RemoteException>(async () =>
        {
            await foreach (int item in output.Reader.ReadAllAsync())
            {
                items.Add(item);
            }
        }).WaitAsync(Bound);
        Assert.Equal(Enumerable.Range(0, 40), items);
        Assert.Equal("producer failed after 40", channelError.Message);
    }

    [Fact(Timeout = 60000)]
    public async Task A_null_ChannelReader_fails_at_the_call_site_and_leaves_nothing_registered()
    {
        // A router of its own, so that nothing else is pending in it.
        await using var router = new Router();
        Context ctx = await router.LocalAsync().WaitAsync(Bound);

        ChannelReader<int> missing = null!;
        ArgumentNullException ex = Assert.Throws<ArgumentNullException>(() => { _ = ctx.CallAsync(() => Channels.SumAsync(missing)); });

        Assert.Contains("ChannelReader", ex.Message, StringComparison.Ordinal);
        Assert.Empty(AttackKit.PendingHandlesFor(router, ctx.Id));
        Assert.Equal(0, AttackKit.OutboundCreditCount(router));
        Assert.Equal(3, await ctx.CallAsync(() => Echo.Add(1, 2)).WaitAsync(Bound));
    }

    [Fact(Timeout = 60000)]
    public async Task A_channel_argument_and_a_file_fetch_under_the_same_handle_number_do_not_share_a_credit_window()
    {
        // The master numbers its calls; a context numbers its own requests. A ChannelReader argument's
        // window (the master's handle) and a shared file's (the context's handle) may carry one number.
        await using var router = new Router();
        Context ctx = await router.LocalAsync().WaitAsync(Bound);
        for (int i = 0; i < 20; i++)
        {
            await ctx.CallAsync(() => Echo.Add(i, 1)).WaitAsync(Bound);
        }

        string dir = Path.Combine(Path.GetTempPath(), "econtext-credit-keys-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            string shared = Path.Combine(dir, "shared.bin");
            await File.WriteAllBytesAsync(shared, new byte[8 * 1024 * 1024]);
            using IDisposable share = ctx.ShareFiles(dir);

            string key = Guid.NewGuid().ToString();
            var numbers = Channel.CreateUnbounded<int>();
            for (int i = 1; i <= 200; i++)
            {
                numbers.Writer.TryWrite(i);
            }

            numbers.Writer.Complete();
            Task<long> sum = ctx.CallAsync(() => Channels.WaitThenSumAsync(key, numbers.Reader));
            int handle = Assert.Single(AttackKit.PendingHandlesFor(router, ctx.Id));

            string copy = Path.Combine(dir, "copy.bin");
            Assert.Equal(8 * 1024 * 1024, await ctx.CallAsync(() => MasterFiles.FetchUnderHandle(handle, shared, copy)).WaitAsync(Bound));
            ctx.CallNoReply(() => Channels.Open(key));

            Assert.Equal(20100, await sum.WaitAsync(Bound));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
