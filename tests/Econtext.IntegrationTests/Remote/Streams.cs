using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace Econtext.IntegrationTests;

/// <summary>Producers of streamed results, with what they did recorded for later calls to read.</summary>
public static class Streams
{
    private static readonly ConcurrentDictionary<string, int> s_produced = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, TaskCompletionSource> s_stopped = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, SemaphoreSlim> s_gates = new(StringComparer.Ordinal);

    /// <summary>Yields 0..count-1 as fast as the consumer allows, counting what it produced.</summary>
    public static async IAsyncEnumerable<int> CountAsync(string key, int count, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        try
        {
            for (int i = 0; i < count; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                s_produced[key] = i + 1;
                yield return i;
                await Task.Yield();
            }
        }
        finally
        {
            Slot(key).TrySetResult();
        }
    }

    /// <summary>Yields one item, then waits for the consumer to open the gate before the second.</summary>
    public static async IAsyncEnumerable<string> FirstThenGateAsync(string key)
    {
        yield return "first";
        await Gate(key).WaitAsync(TimeSpan.FromSeconds(20));
        yield return "second";
    }

    public static void Open(string key) => Gate(key).Release();

    public static async IAsyncEnumerable<Point3> ThrowsAfterAsync(int good)
    {
        for (int i = 0; i < good; i++)
        {
            yield return new Point3(i, i * 2, i * 3);
            await Task.Yield();
        }

        throw new InvalidDataException("broke after " + good);
    }

    public static int Produced(string key) => s_produced.TryGetValue(key, out int n) ? n : 0;

    /// <summary>True once the producer's loop has ended (finished, broken off or cancelled).</summary>
    public static async Task<bool> WaitStoppedAsync(string key, int timeoutMs)
    {
        try
        {
            await Slot(key).Task.WaitAsync(TimeSpan.FromMilliseconds(timeoutMs));
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    private static TaskCompletionSource Slot(string key) => s_stopped.GetOrAdd(key, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    private static SemaphoreSlim Gate(string key) => s_gates.GetOrAdd(key, _ => new SemaphoreSlim(0));

    /// <summary>
    /// In the context: waits until the streamed result the master reads on <paramref name="handle"/>
    /// has used its whole credit window, so its producer is held back; false if it never is.
    /// </summary>
    public static async Task<bool> WaitHeldBackAsync(int handle, int timeoutMs)
    {
        long deadline = Environment.TickCount64 + timeoutMs;
        while (!Infrastructure.RouterInternals.CreditWindowUsedUp(CurrentContext.ChildRouter!, Econtext.Streams.StreamKind.Results, 0, handle))
        {
            if (Environment.TickCount64 > deadline)
            {
                return false;
            }

            await Task.Delay(5);
        }

        return true;
    }
}

public sealed record Point3(int X, int Y, int Z);
