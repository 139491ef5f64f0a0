namespace Econtext.IntegrationTests.Remote;

/// <summary>What a process started by code running in a context sees.</summary>
public static class ChildProcesses
{
    /// <summary>The value of <paramref name="name"/> in the environment of a process this context starts, or "(unset)".</summary>
    public static async Task<string> EnvironmentOfStartedProcessAsync(string name)
    {
        var start = new System.Diagnostics.ProcessStartInfo("/bin/sh", ["-c", "printf %s \"${" + name + "-(unset)}\""]) { RedirectStandardOutput = true };
        using var process = System.Diagnostics.Process.Start(start)!;
        string value = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return value;
    }
}
