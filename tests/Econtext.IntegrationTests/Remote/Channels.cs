using System.Collections.Concurrent;
using System.Threading.Channels;

namespace Econtext.IntegrationTests;

/// <summary>Remote methods that take a channel: the caller's items in, or items out to the caller.</summary>
public static class Channels
{
    private static readonly ConcurrentDictionary<string, int> s_progress = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, SemaphoreSlim> s_gates = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, TaskCompletionSource> s_held = new(StringComparer.Ordinal);

    public static async Task<long> SumAsync(ChannelReader<int> numbers)
    {
        long sum = 0;
        await foreach (int n in numbers.ReadAllAsync())
        {
            sum += n;
        }

        return sum;
    }

    public static async Task<long> TotalLengthAsync(ChannelReader<byte[]> chunks)
    {
        long total = 0;
        await foreach (byte[] chunk in chunks.ReadAllAsync())
        {
            total += chunk.Length;
        }

        return total;
    }

    /// <summary>Waits at a gate before reading anything, then sums to the end.</summary>
    public static async Task<long> WaitThenSumAsync(string key, ChannelReader<int> numbers)
    {
        await Gate(key).WaitAsync(TimeSpan.FromSeconds(20));
        return await SumAsync(numbers);
    }

    /// <summary>Reads <paramref name="take"/> items, then waits at a gate before reading the rest.</summary>
    public static async Task<int> ReadSomeThenWaitAsync(string key, int take, ChannelReader<string> lines)
    {
        int read = 0;
        await foreach (string line in lines.ReadAllAsync())
        {
            _ = line;
            if (++read == take)
            {
                await Gate(key).WaitAsync(TimeSpan.FromSeconds(20));
            }
        }

        return read;
    }

    public static async Task<int> ProduceAsync(string key, int count, ChannelWriter<Point3> output)
    {
        for (int i = 0; i < count; i++)
        {
            ValueTask write = output.WriteAsync(new Point3(i, -i, i * i));
            if (!write.IsCompleted)
            {
                // Held back: the caller has not given credit for more.
                Slot(s_held, key).TrySetResult();
            }

            await write;
            s_progress[key] = i + 1;
        }

        return count;
    }

    /// <summary>Whether <see cref="ProduceAsync"/> had to wait to write an item within <paramref name="timeoutMs"/>.</summary>
    public static async Task<bool> WaitHeldBackAsync(string key, int timeoutMs)
    {
        try
        {
            await Slot(s_held, key).Task.WaitAsync(TimeSpan.FromMilliseconds(timeoutMs));
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    private static TaskCompletionSource Slot(ConcurrentDictionary<string, TaskCompletionSource> slots, string key) =>
        slots.GetOrAdd(key, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    public static async Task ProduceThenFailAsync(int count, ChannelWriter<int> output)
    {
        for (int i = 0; i < count; i++)
        {
            await output.WriteAsync(i);
        }

        throw new InvalidOperationException("producer failed after " + count);
    }

    public static int Progress(string key) => s_progress.TryGetValue(key, out int n) ? n : 0;

    public static void Open(string key) => Gate(key).Release();

    private static SemaphoreSlim Gate(string key) => s_gates.GetOrAdd(key, _ => new SemaphoreSlim(0));
}
