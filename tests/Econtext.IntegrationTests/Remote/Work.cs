using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace Econtext.IntegrationTests.Remote;

/// <summary>Runs in a context: work for concurrency tests, and gates a later call opens.</summary>
public static class Work
{
    private static readonly ConcurrentDictionary<string, SemaphoreSlim> s_gates = new(StringComparer.Ordinal);

    public static string Digest(int index, byte[] data) => index + ":" + Convert.ToHexString(SHA256.HashData(data));

    public static async Task<long> SquareAsync(long x)
    {
        await Task.Yield();
        return x * x;
    }

    /// <summary>Waits, without a thread, until <see cref="Open"/> is called for the gate.</summary>
    public static async Task<string> WaitAtGateAsync(string gate) =>
        await Gate(gate).WaitAsync(TimeSpan.FromSeconds(45)) ? "opened " + gate : "timed out";

    /// <summary>Blocks a thread until <see cref="Open"/> is called for the gate.</summary>
    public static string BlockAtGate(string gate) =>
        Gate(gate).Wait(TimeSpan.FromSeconds(45)) ? "opened " + gate : "timed out";

    public static void Open(string gate) => Gate(gate).Release();

    private static SemaphoreSlim Gate(string gate) => s_gates.GetOrAdd(gate, static _ => new SemaphoreSlim(0));
}
