using System.Globalization;
using System.Security.Cryptography;

namespace Econtext.IntegrationTests.Remote;

/// <summary>What a capped process saw while it acted as the master of a file copy.</summary>
/// <param name="MasterHeapLimit">This process's GC heap limit (bytes), as its runtime reports it.</param>
/// <param name="MasterPeakKib">This process's VmHWM after the copies.</param>
/// <param name="TargetPeakKib">The target context's VmHWM after the copies (read from /proc: same machine).</param>
/// <param name="TargetEnvironmentHasLimit">Whether the target was started with DOTNET_GCHeapHardLimit in its environment.</param>
public sealed record NestedCopy(long MasterHeapLimit, long MasterPeakKib, long TargetPeakKib, bool TargetEnvironmentHasLimit, long Pushed, long Fetched);

/// <summary>Runs in a context: memory figures, and a copy with this context as the master.</summary>
public static class FileMemory
{
    /// <summary>The GC's idea of the memory it may use: the hard limit when one is set.</summary>
    public static long HeapLimit() => GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;

    /// <summary>VmHWM (peak resident set) of a process on this machine, in KiB.</summary>
    public static long PeakRssKib(int pid)
    {
        foreach (string line in File.ReadLines("/proc/" + pid.ToString(CultureInfo.InvariantCulture) + "/status"))
        {
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                return long.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
            }
        }

        return -1;
    }

    public static string Sha256(string path)
    {
        using FileStream stream = File.OpenRead(path);
        return Convert.ToHexString(SHA256.HashData(stream));
    }

    /// <summary>
    /// This context becomes a master: it starts its own local context with <paramref name="heapLimit"/>,
    /// pushes <paramref name="source"/> to <paramref name="pushed"/> and fetches that back to
    /// <paramref name="fetched"/>, so the master's side of a copy runs in a process whose heap is capped
    /// and whose peak memory belongs to the copy alone.
    /// </summary>
    public static async Task<NestedCopy> CopyAsMasterAsync(string source, string pushed, string fetched, string heapLimit)
    {
        await using var router = new Router();
        Context target = await router.LocalAsync(new LocalOptions
        {
            Name = "nested-target",
            Environment = new Dictionary<string, string> { ["DOTNET_GCHeapHardLimit"] = heapLimit },
        }).WaitAsync(TimeSpan.FromSeconds(60));
        int pid = target.RemoteProcessId;
        bool hasLimit = File.ReadAllText("/proc/" + pid.ToString(CultureInfo.InvariantCulture) + "/environ")
            .Split('\0')
            .Contains("DOTNET_GCHeapHardLimit=" + heapLimit, StringComparer.Ordinal);

        FileTransferResult up = await target.PushFileAsync(source, pushed).WaitAsync(TimeSpan.FromSeconds(120));
        FileTransferResult down = await target.FetchFileAsync(pushed, fetched).WaitAsync(TimeSpan.FromSeconds(120));

        long targetPeak = PeakRssKib(pid);
        return new NestedCopy(HeapLimit(), PeakRssKib(Environment.ProcessId), targetPeak, hasLimit, up.Bytes, down.Bytes);
    }
}
