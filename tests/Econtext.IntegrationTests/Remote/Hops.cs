namespace Econtext.IntegrationTests;

/// <summary>Methods for contexts reached through other contexts.</summary>
public static class Hops
{
    /// <summary>The parent process id, from /proc, so a test can see which process started this one.</summary>
    public static int ParentProcessId()
    {
        string stat = File.ReadAllText("/proc/self/stat");
        return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
    }

    public static async Task<int> SleepAsync(int milliseconds)
    {
        await Task.Delay(milliseconds);
        return milliseconds;
    }
}
