using System.Diagnostics;

namespace Econtext.Bench;

internal static class Throughput
{
    /// <summary>MiB/s of <paramref name="mib"/> one-way 1 MiB calls, timed until the child has them all.</summary>
    public static async Task<double> StreamAsync(Context ctx, byte[] chunk, int mib, bool warm = true)
    {
        if (warm)
        {
            // One untimed round first: the child's thread pool grows and its code is compiled, as it
            // would be in a long-running job.
            _ = await StreamAsync(ctx, chunk, Math.Min(mib, 20), warm: false);
        }

        await ctx.CallAsync(() => Workloads.ResetReceived());
        long total = (long)chunk.Length * mib;
        var watch = Stopwatch.StartNew();
        for (int i = 0; i < mib; i++)
        {
            ctx.CallNoReply(() => Workloads.Sink(chunk));
        }

        long got = await ctx.CallAsync(() => Workloads.WaitReceivedAsync(total));
        double seconds = watch.Elapsed.TotalSeconds;
        return got >= total ? mib / seconds : throw new InvalidOperationException($"the child received {got} of {total} bytes");
    }
}
