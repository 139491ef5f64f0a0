using System.Globalization;
using Econtext;

// Usage: dotnet Econtext.TestMaster.dll
// Prints "CHILD_PID=<pid>" once the context answers a call, then waits until it is killed.
await using var router = new Router();
Context context = await router.LocalAsync(new LocalOptions { Name = "orphan" });
int pid = await context.CallAsync(() => Orphan.ProcessId());
Console.WriteLine("CHILD_PID=" + pid.ToString(CultureInfo.InvariantCulture));
Console.Out.Flush();
await Task.Delay(Timeout.Infinite);

/// <summary>Runs in the child.</summary>
public static class Orphan
{
    public static int ProcessId() => Environment.ProcessId;
}
