namespace Econtext.Bench;

/// <summary>The methods the benchmark runs inside contexts.</summary>
public static class Workloads
{
    private static long s_received;

    public static int Ping() => 1;

    public static int Sink(byte[] data) => (int)Interlocked.Add(ref s_received, data.Length);

    public static byte[] Source(int size) => new byte[size];

    public static void ResetReceived() => Interlocked.Exchange(ref s_received, 0);

    /// <summary>Waits until <paramref name="total"/> bytes have arrived through <see cref="Sink"/>.</summary>
    public static async Task<long> WaitReceivedAsync(long total)
    {
        var deadline = DateTime.UtcNow.AddMinutes(5);
        while (Interlocked.Read(ref s_received) < total && DateTime.UtcNow < deadline)
        {
            await Task.Delay(1);
        }

        return Interlocked.Read(ref s_received);
    }

    public static long PeakRssKib() => ReadStatus("VmHWM:");

    public static long RssKib() => ReadStatus("VmRSS:");

    internal static long ReadStatus(string key, int pid = 0)
    {
        string path = pid == 0 ? "/proc/self/status" : $"/proc/{pid}/status";
        foreach (string line in File.ReadLines(path))
        {
            if (line.StartsWith(key, StringComparison.Ordinal))
            {
                return long.Parse(line[key.Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return -1;
    }
}
