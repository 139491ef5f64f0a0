using System.Diagnostics;

namespace Econtext.IntegrationTests.Remote;

/// <summary>Runs in a context: calls that keep it busy without pause, for longer than a heartbeat timeout.</summary>
public static class Busy
{
    /// <summary>Keeps one core busy for <paramref name="milliseconds"/>, never yielding the thread.</summary>
    public static long Spin(int milliseconds)
    {
        var clock = Stopwatch.StartNew();
        long turns = 0;
        while (clock.ElapsedMilliseconds < milliseconds)
        {
            turns++;
        }

        return turns;
    }

    /// <summary>Holds its thread blocked for <paramref name="milliseconds"/>, as a synchronous wait on I/O would.</summary>
    public static long Block(int milliseconds)
    {
        Thread.Sleep(milliseconds);
        return milliseconds;
    }
}
