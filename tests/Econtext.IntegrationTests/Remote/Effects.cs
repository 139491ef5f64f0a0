using System.Collections.Concurrent;

namespace Econtext.IntegrationTests.Remote;

/// <summary>
/// Runs in a context: calls without a result leave a value here, and a later call waits for it (an
/// event in the child, not a sleep).
/// </summary>
public static class Effects
{
    private static readonly ConcurrentDictionary<string, TaskCompletionSource<string>> s_values = new(StringComparer.Ordinal);

    public static void Set(string key, string value) => Slot(key).TrySetResult(value);

    public static async Task SetAsync(string key, string value)
    {
        await Task.Yield();
        Slot(key).TrySetResult(value);
    }

    public static async ValueTask SetValueTaskAsync(string key, string value)
    {
        await Task.Yield();
        Slot(key).TrySetResult(value);
    }

    /// <summary>The value left under <paramref name="key"/>, or null if none came within the time.</summary>
    public static async Task<string?> WaitFor(string key, int timeoutMs)
    {
        try
        {
            return await Slot(key).Task.WaitAsync(TimeSpan.FromMilliseconds(timeoutMs));
        }
        catch (TimeoutException)
        {
            return null;
        }
    }

    private static TaskCompletionSource<string> Slot(string key) =>
        s_values.GetOrAdd(key, static _ => new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously));
}
