using System.Collections.Concurrent;
using System.Threading.Channels;

namespace Econtext.IntegrationTests.Remote;

/// <summary>Runs in a context: methods that take a CancellationToken and record what they saw.</summary>
public static class Cancellable
{
    private static readonly ConcurrentDictionary<string, TaskCompletionSource> s_started = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, TaskCompletionSource> s_observed = new(StringComparer.Ordinal);

    /// <summary>Waits until cancelled; the token is deliberately not the last parameter.</summary>
    public static async Task<int> WaitUntilCancelledAsync(string key, CancellationToken cancellationToken, int result)
    {
        Slot(s_started, key).TrySetResult();
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
            return result;
        }
        catch (OperationCanceledException)
        {
            Slot(s_observed, key).TrySetResult();
            throw;
        }
    }

    /// <summary>A synchronous method blocking a thread until its token is cancelled.</summary>
    public static void BlockUntilCancelled(string key, CancellationToken cancellationToken)
    {
        Slot(s_started, key).TrySetResult();
        if (cancellationToken.WaitHandle.WaitOne(TimeSpan.FromSeconds(45)))
        {
            Slot(s_observed, key).TrySetResult();
        }
    }

    /// <summary>
    /// Reads the caller's items until their channel ends. It takes no token: only the channel can tell
    /// it that its call was cancelled. Started once the first item is read.
    /// </summary>
    public static async Task<int> ReadUntilTheChannelEndsAsync(string key, ChannelReader<int> items)
    {
        int read = 0;
        try
        {
            await foreach (int item in items.ReadAllAsync())
            {
                _ = item;
                read++;
                Slot(s_started, key).TrySetResult();
            }

            return read;
        }
        catch (OperationCanceledException)
        {
            Slot(s_observed, key).TrySetResult();
            throw;
        }
    }

    public static bool NotCancelled(CancellationToken cancellationToken) => !cancellationToken.IsCancellationRequested;

    public static Task<bool> WaitStartedAsync(string key, int timeoutMs) => WaitAsync(s_started, key, timeoutMs);

    public static Task<bool> WaitObservedAsync(string key, int timeoutMs) => WaitAsync(s_observed, key, timeoutMs);

    /// <summary>
    /// True when the method saw its cancellation, or never started (a call cancelled before it runs
    /// is not run at all). False only when it started and still waits: the cancellation was lost.
    /// </summary>
    public static async Task<bool> WaitObservedOrNeverStartedAsync(string key, int timeoutMs) =>
        await WaitAsync(s_observed, key, timeoutMs) || !Slot(s_started, key).Task.IsCompleted;

    private static async Task<bool> WaitAsync(ConcurrentDictionary<string, TaskCompletionSource> slots, string key, int timeoutMs)
    {
        try
        {
            await Slot(slots, key).Task.WaitAsync(TimeSpan.FromMilliseconds(timeoutMs));
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    private static TaskCompletionSource Slot(ConcurrentDictionary<string, TaskCompletionSource> slots, string key) =>
        slots.GetOrAdd(key, static _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
}
