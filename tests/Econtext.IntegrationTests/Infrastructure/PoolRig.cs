using System.Collections.Concurrent;

namespace Econtext.IntegrationTests.Infrastructure;

/// <summary>
/// A router of its own and a <see cref="ContextPool"/> whose connect function starts real local children and
/// counts how often it was called; it records every pid it started so that cleanup can be checked and forced.
/// </summary>
public sealed class PoolRig : IAsyncDisposable
{
    /// <summary>Short, so that a stopped child is killed within a test's bound; long enough for a loaded machine.</summary>
    public static readonly TimeSpan Grace = TimeSpan.FromSeconds(2);

    private readonly ConcurrentQueue<Context> _started = new();
    private int _connects;

    public PoolRig(ContextPoolOptions? options = null)
    {
        Router = new Router(new RouterOptions { ShutdownGracePeriod = Grace });
        Pool = new ContextPool(options ?? new ContextPoolOptions { IdleTimeout = Timeout.InfiniteTimeSpan });
    }

    public Router Router { get; }

    public ContextPool Pool { get; }

    /// <summary>How many times the pool called <see cref="ConnectAsync"/>.</summary>
    public int Connects => Volatile.Read(ref _connects);

    /// <summary>When <see cref="ConnectAsync"/> was last called (<see cref="Environment.TickCount64"/>).</summary>
    public long LastConnectAt { get; private set; }

    /// <summary>Every context the connect function started, in order.</summary>
    public IReadOnlyList<Context> Started => [.. _started];

    /// <summary>The connect function: <c>router.LocalAsync</c>, counted.</summary>
    public async Task<Context> ConnectAsync(CancellationToken cancellationToken)
    {
        int n = Interlocked.Increment(ref _connects);
        LastConnectAt = Environment.TickCount64;
        Context context = await Router.LocalAsync(new LocalOptions { Name = "pooled-" + n }, cancellationToken);
        _started.Enqueue(context);
        return context;
    }

    public Task<ContextLease> AcquireAsync(string key) => Pool.AcquireAsync(key, ConnectAsync).WaitAsync(Bound);

    public PooledContextInfo Info(string key) => Assert.Single(Pool.Snapshot(), i => i.Key == key);

    /// <summary>Disposes the pool and the router, then makes sure no child it started is left (SIGKILL, reported by the test itself).</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await Pool.DisposeAsync().AsTask().WaitAsync(Bound);
            await Router.DisposeAsync().AsTask().WaitAsync(Bound);
        }
        finally
        {
            foreach (Context context in _started)
            {
                if (context.RemoteProcessId > 0 && Processes.IsRunning(context.RemoteProcessId))
                {
                    Processes.Signal(context.RemoteProcessId, Processes.SigKill);
                }
            }
        }
    }
}
