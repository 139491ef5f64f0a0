using System.Text.Json.Nodes;

namespace Econtext.Bench;

/// <summary>
/// Our round trips and the echo floor's, taken in alternating blocks (which goes first alternates
/// too), so a busy stretch of the shared machine falls on both: each figure is the median of all its
/// samples with their p10–p90, and ours/floor is taken per block (median of each block's samples),
/// so the ratio's range shows whether it held while the load moved.
/// </summary>
internal static class Interleaved
{
    public sealed record RttBlocks(List<double> Ours, List<double> Echo, List<double> OursBlockMedians, List<double> EchoBlockMedians);

    /// <summary><paramref name="calls"/> of each in <paramref name="blocks"/> blocks, after one untimed block of <paramref name="warmup"/> each.</summary>
    public static async Task<RttBlocks> RoundTripsAsync(Context ctx, EchoFloor echo, int calls, int blocks, int warmup)
    {
        _ = await RoundTrip.SamplesUsAsync(ctx, 0, warmup);
        _ = await echo.SamplesUsAsync(warmup);
        blocks = Math.Max(1, Math.Min(blocks, calls));
        var result = new RttBlocks([], [], [], []);
        for (int block = 0; block < blocks; block++)
        {
            int n = (calls / blocks) + (block < calls % blocks ? 1 : 0);
            List<double> ours;
            List<double> floor;
            if (block % 2 == 0)
            {
                ours = await RoundTrip.SamplesUsAsync(ctx, n, 0);
                floor = await echo.SamplesUsAsync(n);
            }
            else
            {
                floor = await echo.SamplesUsAsync(n);
                ours = await RoundTrip.SamplesUsAsync(ctx, n, 0);
            }

            result.Ours.AddRange(ours);
            result.Echo.AddRange(floor);
            result.OursBlockMedians.Add(Stats.Median(ours));
            result.EchoBlockMedians.Add(Stats.Median(floor));
        }

        return result;
    }

    /// <summary>The call_rtt object: keys as before, plus p10 and the spread.</summary>
    public static JsonObject CallRtt(RttBlocks r, int calls, int blocks) => new()
    {
        ["median_us"] = Stats.Round(Stats.Median(r.Ours)),
        ["p10_us"] = Stats.Round(Stats.Percentile(r.Ours, 10)),
        ["p90_us"] = Stats.Round(Stats.Percentile(r.Ours, 90)),
        ["p99_us"] = Stats.Round(Stats.Percentile(r.Ours, 99)),
        ["n"] = calls,
        ["blocks"] = blocks,
        ["median_us_spread"] = Stats.Spread(r.Ours),
    };
}
