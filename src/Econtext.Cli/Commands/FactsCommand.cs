using System.CommandLine;
using System.Diagnostics;
using Econtext.Cli.Output;
using Econtext.Cli.Remote;
using Spectre.Console;

namespace Econtext.Cli.Commands;

/// <summary><c>econtext facts</c>: start a local context, ask it about its host, and time the connection.</summary>
internal static class FactsCommand
{
    private const int RoundTrips = 100;

    public static IReadOnlyList<string> Examples { get; } =
    [
        "econtext facts",
        "econtext facts --json | jq '{connectMs, rttMedianUs}'",
        "econtext facts --dotnet /usr/lib/dotnet/dotnet --connect-timeout 60",
    ];

    public static Command Create()
    {
        var json = new Option<bool>("--json")
        {
            Description = "Write one JSON object (camelCase) to stdout instead of a table.",
        };

        var command = new Command(
            "facts",
            "Start a context on this machine and report what it sees: hostname, OS, kernel, architecture, processors, "
            + "memory, .NET runtime, user and process id, with the time it took to connect and the median round trip "
            + $"of {RoundTrips} calls.")
        {
            json,
        };
        var local = new LocalContextOptions();
        local.AddTo(command);

        command.SetAction((parseResult, cancellationToken) => CommandErrors.RunAsync(
            token => RunAsync(local.Read(parseResult), parseResult.GetValue(json), token),
            cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(LocalOptions options, bool json, CancellationToken cancellationToken)
    {
        await using var router = new Router();

        long started = Stopwatch.GetTimestamp();
        Context context = await router.LocalAsync(options, cancellationToken);
        TimeSpan connect = Stopwatch.GetElapsedTime(started);

        HostFacts facts = await context.CallAsync(() => Facts.Collect(), cancellationToken);

        // One call first, so the median does not include the child compiling Ping.
        await context.CallAsync(() => Facts.Ping(), cancellationToken);
        var samples = new double[RoundTrips];
        for (int i = 0; i < samples.Length; i++)
        {
            long callStarted = Stopwatch.GetTimestamp();
            await context.CallAsync(() => Facts.Ping(), cancellationToken);
            samples[i] = Stopwatch.GetElapsedTime(callStarted).TotalMicroseconds;
        }

        // Printed before the router shuts the context down, on leaving this method.
        var report = new FactsReport(facts, connect.TotalMilliseconds, Median(samples), RoundTrips);
        if (json)
        {
            FactsRenderer.WriteJson(report, Console.Out);
        }
        else
        {
            FactsRenderer.WriteTable(report, AnsiConsole.Console);
        }

        return 0;
    }

    private static double Median(double[] samples)
    {
        double[] sorted = [.. samples];
        Array.Sort(sorted);
        int middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }
}
