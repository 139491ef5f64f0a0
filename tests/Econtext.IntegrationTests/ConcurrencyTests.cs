using System.Security.Cryptography;

namespace Econtext.IntegrationTests;

/// <summary>Many calls in flight on one context; slow calls do not hold up the rest.</summary>
public sealed class ConcurrencyTests(ChildFixture fixture) : IClassFixture<ChildFixture>
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(40);
    private readonly Context _ctx = fixture.Context;

    [Fact(Timeout = 60000)]
    public async Task Five_hundred_calls_from_many_threads_all_get_their_own_answer()
    {
        const int calls = 500;
        var expected = new string[calls];
        var payloads = new byte[calls][];
        for (int i = 0; i < calls; i++)
        {
            payloads[i] = new byte[(i * 997) % 20_000];
            new Random(i).NextBytes(payloads[i]);
            expected[i] = i + ":" + Convert.ToHexString(SHA256.HashData(payloads[i]));
        }

        Task<string>[] digests = Enumerable.Range(0, calls)
            .Select(i => Task.Run(() =>
            {
                byte[] data = payloads[i];
                return _ctx.CallAsync(() => Work.Digest(i, data));
            }))
            .ToArray();
        Task<long>[] squares = Enumerable.Range(0, calls)
            .Select(i => Task.Run(() =>
            {
                long x = i;
                return _ctx.CallAsync(() => Work.SquareAsync(x));
            }))
            .ToArray();

        string[] results = await Task.WhenAll(digests).WaitAsync(Bound);
        long[] squared = await Task.WhenAll(squares).WaitAsync(Bound);

        Assert.Equal(expected, results);
        Assert.Equal(Enumerable.Range(0, calls).Select(i => (long)i * i), squared);
    }

    [Fact(Timeout = 60000)]
    public async Task Calls_from_dedicated_threads_interleave_correctly()
    {
        const int threads = 8;
        const int perThread = 40;
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var go = new ManualResetEventSlim();
        var workers = new List<Task>();
        for (int t = 0; t < threads; t++)
        {
            int thread = t;
            workers.Add(Task.Factory.StartNew(
                () =>
                {
                    go.Wait();
                    var inFlight = new List<(int Expected, Task<int> Call)>();
                    for (int i = 0; i < perThread; i++)
                    {
                        int a = thread * 1000;
                        int b = i;
                        inFlight.Add((a + b, _ctx.CallAsync(() => Echo.Add(a, b))));
                    }

                    foreach ((int want, Task<int> call) in inFlight)
                    {
                        int got = call.WaitAsync(Bound).GetAwaiter().GetResult();
                        if (got != want)
                        {
                            failures.Enqueue($"thread {thread}: wanted {want}, got {got}");
                        }
                    }
                },
                CancellationToken.None,
                TaskCreationOptions.LongRunning,
                TaskScheduler.Default));
        }

        go.Set();
        await Task.WhenAll(workers).WaitAsync(Bound);
        Assert.Empty(failures);
    }

    [Fact(Timeout = 60000)]
    public async Task A_call_waiting_asynchronously_does_not_block_later_calls()
    {
        string gate = "async-gate-" + Guid.NewGuid();
        Task<string> slow = _ctx.CallAsync(() => Work.WaitAtGateAsync(gate));

        long[] squares = await Task.WhenAll(Enumerable.Range(0, 100).Select(i => _ctx.CallAsync(() => Work.SquareAsync(i)))).WaitAsync(Bound);
        Assert.Equal(Enumerable.Range(0, 100).Select(i => (long)i * i), squares);
        Assert.False(slow.IsCompleted, "the slow call finished before its gate was opened");

        await _ctx.CallAsync(() => Work.Open(gate)).WaitAsync(Bound);
        Assert.Equal("opened " + gate, await slow.WaitAsync(Bound));
    }

    [Fact(Timeout = 60000)]
    public async Task A_call_blocking_a_thread_does_not_block_later_calls()
    {
        string gate = "blocking-gate-" + Guid.NewGuid();
        Task<string> slow = _ctx.CallAsync(() => Work.BlockAtGate(gate));

        for (int round = 0; round < 5; round++)
        {
            int[] sums = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => _ctx.CallAsync(() => Echo.Add(i, round)))).WaitAsync(Bound);
            Assert.Equal(Enumerable.Range(0, 20).Select(i => i + round), sums);
        }

        Assert.False(slow.IsCompleted, "the blocking call finished before its gate was opened");
        await _ctx.CallAsync(() => Work.Open(gate)).WaitAsync(Bound);
        Assert.Equal("opened " + gate, await slow.WaitAsync(Bound));
    }

    [Fact(Timeout = 60000)]
    public async Task Code_resumed_by_a_reply_runs_on_the_thread_that_read_it_and_may_block_on_another_call()
    {
        // Off xunit's synchronization context, which would otherwise take every continuation.
        await Task.Run(ResumeAndBlockAsync);
    }

    private async Task ResumeAndBlockAsync()
    {
        int onReader = 0;
        for (int round = 0; round < 20; round++)
        {
            // 20 ms in the child, so this await has always suspended by the time the reply is read
            // (a reply already there would let it go on synchronously, on this thread).
            Assert.Equal(20, await _ctx.CallAsync(() => Hops.SleepAsync(20)).ConfigureAwait(false));
            // Resumed on the thread that read the reply, which handed its receive loop to another.
            if (!Thread.CurrentThread.IsThreadPoolThread && Thread.CurrentThread.Name?.StartsWith("econtext receive", StringComparison.Ordinal) == true)
            {
                onReader++;
            }

            // Blocking here must not stop the reply it waits for from being read.
            Task<int> next = _ctx.CallAsync(() => Echo.Add(round, 2));
            Assert.True(next.Wait(Bound), "a call waited on synchronously, from code a reply resumed, never completed");
            Assert.Equal(round + 2, next.Result);
        }

        Assert.InRange(onReader, 10, 20);
    }

    [Fact(Timeout = 60000)]
    public async Task Large_and_small_calls_in_flight_together_do_not_mix_up()
    {
        byte[] big = new byte[4 * 1024 * 1024];
        new Random(11).NextBytes(big);
        string bigHash = Convert.ToHexString(SHA256.HashData(big));

        Task<string>[] bigCalls = Enumerable.Range(0, 4).Select(_ => _ctx.CallAsync(() => Echo.Sha256(big))).ToArray();
        Task<int>[] smallCalls = Enumerable.Range(0, 200).Select(i => _ctx.CallAsync(() => Echo.Add(i, 1))).ToArray();

        Assert.Equal(Enumerable.Range(0, 200).Select(i => i + 1), await Task.WhenAll(smallCalls).WaitAsync(Bound));
        Assert.All(await Task.WhenAll(bigCalls).WaitAsync(Bound), h => Assert.Equal(bigHash, h));
    }
}
