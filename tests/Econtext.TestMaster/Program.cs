using System.Globalization;
using Econtext;

// Usage: dotnet Econtext.TestMaster.dll
// Prints "CHILD_PID=<pid>" and "GRANDCHILD_PID=<pid>" (a context started through the child) once
// both answer a call, then waits until it is killed.
await using var router = new Router();
Context context = await router.LocalAsync(new LocalOptions { Name = "orphan" });
Context below = await router.LocalAsync(new LocalOptions { Name = "orphan-below", Via = context });
int pid = await context.CallAsync(() => Orphan.ProcessId());
int belowPid = await below.CallAsync(() => Orphan.ProcessId());
Console.WriteLine("CHILD_PID=" + pid.ToString(CultureInfo.InvariantCulture));
Console.WriteLine("GRANDCHILD_PID=" + belowPid.ToString(CultureInfo.InvariantCulture));
Console.Out.Flush();
await Task.Delay(Timeout.Infinite);

/// <summary>Runs in the child.</summary>
public static class Orphan
{
    public static int ProcessId() => Environment.ProcessId;
}
