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

    /// <summary>
    /// Resets this process's VmHWM to its current RSS (Linux: "5" into /proc/self/clear_refs), so a
    /// peak read afterwards belongs to what ran in between. Returns the RSS then, or -1 if refused.
    /// </summary>
    public static long ResetPeakRss()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return ReadStatus("VmRSS:");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return -1;
        }
    }

    /// <summary>A new empty folder in the context's temporary folder (the file benchmark's destinations live in it).</summary>
    public static string MakeTempDirectory(string prefix) => Directory.CreateTempSubdirectory(prefix).FullName;

    public static void DeleteTree(string path)
    {
        if (Directory.Exists(path))
        {
            Directory.Delete(path, recursive: true);
        }
        else if (File.Exists(path))
        {
            File.Delete(path);
        }
    }

    /// <summary>Regular files below <paramref name="path"/> (or the file itself): [count, total bytes].</summary>
    public static long[] CountFiles(string path)
    {
        if (File.Exists(path))
        {
            return [1, new FileInfo(path).Length];
        }

        long count = 0;
        long bytes = 0;
        if (Directory.Exists(path))
        {
            foreach (FileInfo file in new DirectoryInfo(path).EnumerateFiles("*", SearchOption.AllDirectories))
            {
                count++;
                bytes += file.Length;
            }
        }

        return [count, bytes];
    }

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

    /// <summary>
    /// What a process's resident memory is made of now (/proc/PID/smaps_rollup, KiB): the pages only
    /// it holds (private) against those shared with other processes (the runtime's files, mapped by
    /// every .NET process on the host), and its proportional share (PSS). VmHWM counts both alike.
    /// </summary>
    public static System.Text.Json.Nodes.JsonObject MemoryMakeup(int pid)
    {
        var makeup = new System.Text.Json.Nodes.JsonObject();
        try
        {
            foreach (string line in File.ReadLines($"/proc/{pid}/smaps_rollup"))
            {
                string[] parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length == 3 && parts[2] == "kB" && parts[0] is "Rss:" or "Pss:" or "Shared_Clean:" or "Shared_Dirty:" or "Private_Clean:" or "Private_Dirty:" or "Anonymous:")
                {
                    makeup[parts[0].TrimEnd(':').ToLowerInvariant()] = long.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
                }
            }
        }
        catch (IOException ex)
        {
            makeup["error"] = ex.Message;
        }

        if (makeup["private_clean"] is { } clean && makeup["private_dirty"] is { } dirty)
        {
            makeup["private"] = clean.GetValue<long>() + dirty.GetValue<long>();
        }

        return makeup;
    }

    /// <summary>
    /// A process's memory now, KiB: [VmRSS, VmHWM, private (Private_Clean + Private_Dirty of
    /// smaps_rollup, what <see cref="MemoryMakeup"/> reads)]; 0 is this process. -1 where unreadable.
    /// </summary>
    public static long[] MemoryKib(int pid = 0)
    {
        System.Text.Json.Nodes.JsonObject makeup = MemoryMakeup(pid == 0 ? Environment.ProcessId : pid);
        return [ReadStatus("VmRSS:", pid), ReadStatus("VmHWM:", pid), makeup["private"]?.GetValue<long>() ?? -1];
    }

    /// <summary>Which kernel and pid namespace this process sees, so the master knows whether it can read a child's /proc itself.</summary>
    public static string ProcView() =>
        File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim() + " " + new FileInfo("/proc/self/ns/pid").LinkTarget;

    /// <summary>The folder of the runtime this process runs on.</summary>
    public static string RuntimeDirectory() => System.Runtime.InteropServices.RuntimeEnvironment.GetRuntimeDirectory();
}
