using System.Runtime.InteropServices;
using Econtext.Cli.Agent.Client;

// A host command, and agent status|stop, are this client's own: they go to the agent over its socket.
// Everything else (help, --no-agent, --persist 0, agent serve) is the managed tool's, which this process
// becomes with exec: same process id, same streams and signals, and its exit code is the command's.
(AgentMode mode, TimeSpan persist) = AgentCommandLine.Decide(args, Environment.GetEnvironmentVariable);
AgentLaunch launch = AgentLaunch.ForNative();
if (mode != AgentMode.InProcess)
{
    return await AgentClient.RunAsync(args, mode, persist, launch);
}

if (!File.Exists(launch.Assembly))
{
    Console.Error.WriteLine($"econtext: the econtext tool {launch.Assembly} does not exist; put Econtext.Cli.dll beside this program or set {AgentLaunch.AssemblyVariable} to it");
    return 1;
}

UnixCalls.Exec(launch.Program, [launch.Program, .. launch.PrefixArgs, .. args]);
int error = Marshal.GetLastPInvokeError();
Console.Error.WriteLine($"econtext: cannot run {launch.Program} (the .NET host, for {launch.Assembly}): {Marshal.GetPInvokeErrorMessage(error)}; install the .NET runtime or set DOTNET_HOST_PATH to its dotnet");
return 1;
