using System.Globalization;
using System.Text;

namespace Econtext.TransportTests.Remote;

/// <summary>Who and where a context runs.</summary>
public sealed record Identity(string User, int Uid, int ProcessId, string Host, string? Home, string? Shell);

/// <summary>Runs in a context: what it knows about itself.</summary>
public static class Probe
{
    public static Identity Whoami() => new(
        Environment.UserName,
        RealUid(),
        Environment.ProcessId,
        Environment.MachineName,
        Environment.GetEnvironmentVariable("HOME"),
        Environment.GetEnvironmentVariable("SHELL"));

    public static int Add(int a, int b) => a + b;

    public static async Task<int> SleepAsync(int milliseconds)
    {
        await Task.Delay(milliseconds);
        return milliseconds;
    }

    /// <summary>Whether <paramref name="text"/> is in this process's environment, as exec'd or as now.</summary>
    public static bool EnvironmentContains(string text)
    {
        foreach (System.Collections.DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            if ($"{entry.Key}={entry.Value}".Contains(text, StringComparison.Ordinal))
            {
                return true;
            }
        }

        byte[] initial = File.ReadAllBytes("/proc/self/environ");
        return initial.AsSpan().IndexOf(Encoding.UTF8.GetBytes(text)) >= 0;
    }

    private static int RealUid()
    {
        foreach (string line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("Uid:", StringComparison.Ordinal))
            {
                return int.Parse(line.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
            }
        }

        return -1;
    }
}
