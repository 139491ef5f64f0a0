using System.Diagnostics;

namespace Econtext.Bench;

/// <summary>
/// Every floor's process starts in a session of its own (`setsid`), as Econtext starts each transport
/// (posix_spawn with POSIX_SPAWN_SETSID, src/Econtext/Transports/TransportProcess.cs). With the
/// kernel's autogroup scheduling (/proc/sys/kernel/sched_autogroup_enabled, on here) a session is one
/// scheduling group: on a loaded machine, 20 `ssh true` started from the bench's session shared one
/// group's share of the CPU while our 20 ssh children had twenty. On 2026-12-08, load average 34: 20
/// parallel `ssh true` 6.5–8.7 s from one session, 1.7–1.9 s each in its own; our 20-context fan-out
/// read 0.5 × a floor taken without setsid. Without /usr/bin/setsid the floors start as before.
/// </summary>
internal static class NewSession
{
    private const string Setsid = "/usr/bin/setsid";

    public static readonly bool Available = File.Exists(Setsid);

    /// <summary>A start of <paramref name="program"/> with <paramref name="arguments"/>, in a new session when setsid is here.</summary>
    public static ProcessStartInfo Start(string program, IEnumerable<string> arguments)
    {
        // -w: should setsid have to fork (it does when it leads a process group), it waits and passes the exit status on.
        var start = Available ? new ProcessStartInfo(Setsid) { ArgumentList = { "-w", program } } : new ProcessStartInfo(program);
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.UseShellExecute = false;
        return start;
    }
}
