using System.CommandLine;
using System.Diagnostics;
using System.Text.Json.Nodes;
using Econtext.Cli.Output;
using Econtext.Cli.Remote;
using Econtext.Cli.Running;
using Spectre.Console;

namespace Econtext.Cli.Commands;

/// <summary><c>econtext facts [TARGETS]</c>: ask every target about its host, and time the connection and a round trip.</summary>
internal static class FactsCommand
{
    private const int RoundTrips = 100;

    public static IReadOnlyList<string> Examples { get; } =
    [
        "econtext facts",
        "econtext facts --json | jq '{connectMs, rttMedianUs}'",
        "econtext facts web1,deploy@web2:2222",
        "econtext facts -i hosts.ini 'web:&prod' --json",
        "econtext facts podman://web,docker://app@db,chroot:///srv/jail",
        "econtext facts --dotnet /usr/lib/dotnet/dotnet -T 60",
        "econtext facts -i hosts.ini all --filter 'distribution*,mounts'",
        "econtext facts web1 --json --filter interfaces,defaultRoute | jq .interfaces",
    ];

    public static Command Create()
    {
        var targets = new Argument<string?>("targets")
        {
            Description = "Hosts, comma-separated: [user@]host[:port] (ssh), local, podman://[user@]name, docker://[user@]name, buildah://[user@]name, chroot:///dir, nsenter://pid; or a pattern with -i. Default: a local context.",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var filter = new Option<string?>("--filter")
        {
            Description = "Only the facts whose --json name matches: a glob such as 'mem*', 'interfaces', 'distribution*', 'mounts' (commas between several, case ignored). Text output is then a table per host.",
            HelpName = "glob",
        };
        var command = new Command(
            "facts",
            "Start a context on each target and report what it sees: hostname, OS, kernel, architecture, processors, "
            + "memory, .NET runtime, user and process id, distribution, FQDN, uptime, virtualization, date, default route, "
            + "network interfaces and mounts, with the time it took to connect and the median round trip "
            + $"of {RoundTrips} calls.")
        {
            targets,
            filter,
        };
        var hosts = new HostCommandOptions();
        hosts.AddTo(command);

        command.SetAction((parseResult, cancellationToken) => CommandErrors.RunAsync(
            token => RunAsync(hosts.Read(parseResult, parseResult.GetValue(targets)), FactsFilter.Parse(parseResult.GetValue(filter)), token),
            cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(RunSettings settings, FactsFilter? filter, CancellationToken cancellationToken)
    {
        var reports = new FactsReport?[settings.Hosts.Count];
        var index = settings.Hosts.Select((h, i) => (h, i)).ToDictionary(p => p.h, p => p.i);
        bool single = settings.Hosts.Count == 1 && !settings.Json;
        bool perHost = filter is not null && !settings.Json;

        IReadOnlyList<HostOutcome> outcomes = await HostRunner.RunAsync(
            settings,
            async (host, context, progress, token) =>
            {
                double connectMs = progress.Elapsed.TotalMilliseconds;
                HostFacts facts = await context.CallAsync(() => Facts.Collect(), token).ConfigureAwait(false);

                // One call first, so the median does not include the child compiling Ping.
                await context.CallAsync(() => Facts.Ping(), token).ConfigureAwait(false);
                var samples = new double[RoundTrips];
                for (int i = 0; i < samples.Length; i++)
                {
                    long started = Stopwatch.GetTimestamp();
                    await context.CallAsync(() => Facts.Ping(), token).ConfigureAwait(false);
                    samples[i] = Stopwatch.GetElapsedTime(started).TotalMicroseconds;
                }

                var report = new FactsReport(facts, connectMs, Median(samples), RoundTrips);
                reports[index[host]] = report;
                JsonObject json = FactsRenderer.ToJson(report, filter);
                return new HostWorkResult(true, $"{facts.Hostname}: {facts.OsDescription}, {facts.Architecture}, {facts.DotnetVersion}", json);
            },
            single ? new PlainLinesView(CliSession.Current.Console, showEachHost: false, showTally: false) : HostCommandOptions.View(settings, streamsOutput: false),
            cancellationToken).ConfigureAwait(false);

        if (single && reports[0] is FactsReport only)
        {
            FactsRenderer.WriteTable(only, CliSession.Current.Console, filter);
        }
        else if (perHost)
        {
            foreach ((FactsReport? report, int i) in reports.Select((r, i) => (r, i)))
            {
                if (report is not null)
                {
                    FactsRenderer.WriteTable(report, CliSession.Current.Console, filter, settings.Hosts[i].Name);
                }
            }
        }
        else if (!settings.Json && reports.Any(r => r is not null))
        {
            FactsRenderer.WriteHostsTable([.. reports.OfType<FactsReport>()], CliSession.Current.Console);
        }

        return HostRunner.ExitCode(outcomes);
    }

    private static double Median(double[] samples)
    {
        double[] sorted = [.. samples];
        Array.Sort(sorted);
        int middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }
}
