using System.Globalization;

namespace Econtext.TransportTests.Infrastructure;

/// <summary>
/// The file that says which test process a run directory belongs to (its pid and start time, so a
/// recycled pid is not taken for it), so the next run can sweep what a crashed one left.
/// </summary>
internal static class RunOwner
{
    public static Task RecordAsync(string dir)
    {
        int self = Environment.ProcessId;
        return File.WriteAllTextAsync(Path.Combine(dir, "owner"), $"{self} {Processes.StartTime(self)}\n");
    }

    /// <summary>Whether the process that made <paramref name="dir"/> still runs; null when the directory has no readable owner file.</summary>
    public static bool? IsAlive(string dir)
    {
        try
        {
            string[] owner = File.ReadAllText(Path.Combine(dir, "owner")).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            int pid = int.Parse(owner[0], CultureInfo.InvariantCulture);
            return Processes.IsRunning(pid) && Processes.StartTime(pid)?.ToString(CultureInfo.InvariantCulture) == owner[1];
        }
        catch (Exception ex) when (ex is IOException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }
}
