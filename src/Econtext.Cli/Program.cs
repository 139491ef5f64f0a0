using System.CommandLine;
using Econtext.Cli.Commands;

// Ctrl+C and SIGTERM cancel the running command, which then shuts its contexts down; after this long
// the process exits anyway (System.CommandLine does not handle the signals at all without it).
var invocation = new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(10) };
return await EcontextCli.Build().Parse(args).InvokeAsync(invocation);
