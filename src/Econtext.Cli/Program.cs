using System.CommandLine;
using Econtext.Cli.Agent.Client;
using Econtext.Cli.Commands;

// A host command goes to this user's agent, which keeps its contexts warm for the next one (started here
// when it is not running); help, --no-agent and --persist 0 run in this process as before.
(AgentMode mode, TimeSpan persist) = AgentCommandLine.Decide(args, Environment.GetEnvironmentVariable);
if (mode != AgentMode.InProcess)
{
    return await AgentClient.RunAsync(args, mode, persist, AgentLaunch.ForManaged(typeof(EcontextCli).Assembly.Location));
}

// Ctrl+C and SIGTERM cancel the running command, which then shuts its contexts down; after this long
// the process exits anyway (System.CommandLine does not handle the signals at all without it).
var invocation = new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(10) };
return await EcontextCli.Build().Parse(args, EcontextCli.Parsing).InvokeAsync(invocation);
