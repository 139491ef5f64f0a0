using System.Diagnostics;

namespace Econtext.Bench;

internal static class RoundTrip
{
    public static async Task<double> MedianUsAsync(Context context, int calls) => Stats.Median(await SamplesUsAsync(context, calls, Math.Min(calls, 500)));

    /// <summary>Round trips of a trivial call, in µs, after <paramref name="warmup"/> untimed ones.</summary>
    public static async Task<List<double>> SamplesUsAsync(Context context, int calls, int warmup)
    {
        for (int i = 0; i < warmup; i++)
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

        return samples;
    }
}
