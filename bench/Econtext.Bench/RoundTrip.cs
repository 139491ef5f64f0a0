using System.Diagnostics;

namespace Econtext.Bench;

internal static class RoundTrip
{
    public static async Task<double> MedianUsAsync(Context context, int calls)
    {
        for (int i = 0; i < Math.Min(calls, 500); i++)
        {
            await context.CallAsync(() => Workloads.Ping());
        }

        var samples = new List<double>(calls);
        for (int i = 0; i < calls; i++)
        {
            long start = Stopwatch.GetTimestamp();
            await context.CallAsync(() => Workloads.Ping());
            samples.Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds);
        }

        return Stats.Median(samples);
    }
}
