using System.CommandLine;
using System.Globalization;
using Econtext.Cli.Agent;
using Econtext.Cli.Agent.Client;
using Econtext.Cli.Remote;
using Econtext.Cli.Running;

namespace Econtext.Cli.Commands;

/// <summary>
/// <c>econtext agent status|stop|serve</c>: what the agent keeps warm, ending it, and (started by the client,
/// not typed) running it. Also the root options that choose it: <c>--persist</c> and <c>--no-agent</c>.
/// </summary>
internal static class AgentCommand
{
    public static readonly IReadOnlyList<string> Examples =
    [
        "econtext agent status            # the warm contexts: host, age, idle time, memory on the host",
        "econtext agent stop              # end the agent and every context it keeps",
        "econtext exec web1 --persist 1h -- uptime   # keep the agent (and web1's context) for an hour",
        "econtext exec web1 --no-agent -- uptime     # start and end everything in this command, as without an agent",
    ];

    /// <summary>Read by the client before parsing; declared here so that the parser accepts them anywhere.</summary>
    public static readonly Option<string?> Persist = new("--persist")
    {
        Description = "How long the agent keeps contexts after the last command (like ssh's ControlPersist): 30s, 10m, 2h; 0 runs this command without the agent. "
            + "Default 10m, or $ECONTEXT_PERSIST.",
        HelpName = "duration",
        Recursive = true,
    };

    public static readonly Option<bool> NoAgent = new("--no-agent")
    {
        Description = "Run this command in this process, starting and ending its contexts, as --persist 0.",
        Recursive = true,
    };

    public static Command Create()
    {
        var status = new Command("status", "What the agent keeps warm: per context its host, how it is reached, age, idle time, calls served, and its memory on its host.");
        status.SetAction((_, cancellationToken) => StatusAsync(cancellationToken));

        var stop = new Command("stop", "End the agent: every context it keeps is shut down, on every host.");
        stop.SetAction(_ =>
        {
            if (CliSession.Current.Agent is not AgentServer agent)
            {
                CliSession.Current.Out.WriteLine("no agent is running");
                return 0;
            }

            agent.Stop("econtext agent stop");
            CliSession.Current.Out.WriteLine($"agent pid {Environment.ProcessId} stopping: {agent.Pool.Count} context{(agent.Pool.Count == 1 ? "" : "s")} shut down");
            return 0;
        });

        var serve = new Command("serve", "Run the agent in this process (the client starts it; not for typing).") { Hidden = true };
        serve.SetAction(async parseResult =>
        {
            string text = parseResult.GetValue(Persist) ?? AgentCommandLine.Format(AgentCommandLine.DefaultPersist);
            TimeSpan persist = AgentCommandLine.ParseDuration(text) is TimeSpan t && t > TimeSpan.Zero ? t : AgentCommandLine.DefaultPersist;
            try
            {
                return await AgentServer.RunAsync(persist).ConfigureAwait(false);
            }
            catch (AgentException ex)
            {
                AgentServer.Log(ex.Message);
                return 1;
            }
        });

        return new Command("agent", "The agent that keeps contexts warm between commands, as ssh's ControlPersist keeps connections: started by the first command that needs it, one per user.")
        {
            status,
            stop,
            serve,
        };
    }

    /// <summary>Adds the validator that tells a bad --persist in words.</summary>
    public static void Validate()
    {
        if (Persist.Validators.Count > 0)
        {
            return;
        }

        Persist.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string?>() is string text && AgentCommandLine.ParseDuration(text) is null)
            {
                result.AddError($"--persist {text}: write a duration such as 0, 90, 30s, 10m or 2h.");
            }
        });
    }

    private static async Task<int> StatusAsync(CancellationToken cancellationToken)
    {
        TextWriter output = CliSession.Current.Out;
        if (CliSession.Current.Agent is not AgentServer agent)
        {
            output.WriteLine("no agent is running");
            return 0;
        }

        IReadOnlyList<PooledContextInfo> contexts = agent.Pool.Snapshot();
        DateTimeOffset now = DateTimeOffset.UtcNow;
        output.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"agent pid {Environment.ProcessId}, up {Age(now - agent.Started)}, {agent.CommandsServed} command{(agent.CommandsServed == 1 ? "" : "s")} served, ends after {AgentCommandLine.Format(agent.Persist)} without one; RSS {Environment.WorkingSet / 1048576.0:0.0} MiB; socket {agent.SocketPath}"));
        if (contexts.Count == 0)
        {
            output.WriteLine("no warm contexts");
            return 0;
        }

        var rows = new List<string[]> { new[] { "CONTEXT", "REACHED AS", "PID", "AGE", "IDLE", "USES", "RSS", "PRIVATE" } };
        foreach (PooledContextInfo info in contexts)
        {
            string rss = "?", own = "?";
            try
            {
                using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                bound.CancelAfter(TimeSpan.FromSeconds(5));
                long[] memory = await info.Context.CallAsync(() => ProcessMemory.Read(), bound.Token).ConfigureAwait(false);
                rss = Mib(memory[0]);
                own = Mib(memory[1]);
            }
            catch (Exception ex) when (ex is EcontextException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                rss = "gone";
            }

            rows.Add([
                info.Name,
                ConnectionKey.Summary(info.Key),
                info.RemoteProcessId.ToString(CultureInfo.InvariantCulture),
                Age(now - info.Started),
                info.Leases > 0 ? "in use" : Age(now - info.LastUsed),
                info.Uses.ToString(CultureInfo.InvariantCulture),
                rss,
                own,
            ]);
        }

        int[] widths = [.. Enumerable.Range(0, rows[0].Length).Select(c => rows.Max(r => r[c].Length))];
        foreach (string[] row in rows)
        {
            output.WriteLine(string.Join("  ", row.Select((cell, c) => c == row.Length - 1 ? cell : cell.PadRight(widths[c]))).TrimEnd());
        }

        return 0;
    }

    private static string Mib(long kib) => kib < 0 ? "?" : string.Create(CultureInfo.InvariantCulture, $"{kib / 1024.0:0.0} MiB");

    private static string Age(TimeSpan age) =>
        age.TotalSeconds < 60 ? string.Create(CultureInfo.InvariantCulture, $"{age.TotalSeconds:0}s")
        : age.TotalMinutes < 60 ? string.Create(CultureInfo.InvariantCulture, $"{(int)age.TotalMinutes}m{age.Seconds:00}s")
        : string.Create(CultureInfo.InvariantCulture, $"{(int)age.TotalHours}h{age.Minutes:00}m");
}
