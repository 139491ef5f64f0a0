using System.Globalization;
using Econtext.Cli.Running;
using Spectre.Console;

namespace Econtext.Cli.Output;

/// <summary>
/// A line per host as it finishes, then the hosts that did not succeed and the tally. Used when stdout is
/// not a terminal, and by <c>exec</c> (whose output lines stream above), with colours only on a terminal.
/// </summary>
internal sealed class PlainLinesView(IAnsiConsole console, bool showEachHost = true, bool showTally = true) : IRunView
{
    public Task ShowAsync(IReadOnlyList<HostProgress> hosts, Task finished) => finished;

    public void HostFinished(HostProgress host)
    {
        if (!showEachHost)
        {
            return;
        }

        HostOutcome outcome = host.Outcome!;
        lock (ConsoleGate.Lines)
        {
            console.MarkupLine(string.Create(
                CultureInfo.InvariantCulture,
                $"{Markup.Escape(outcome.Host.Name)} | {StatusMarkup(outcome.State)} | {outcome.Elapsed.TotalMilliseconds:0} ms | {Markup.Escape(outcome.Summary)}"));
        }
    }

    public void Summarize(IReadOnlyList<HostOutcome> outcomes, TimeSpan elapsed)
    {
        lock (ConsoleGate.Lines)
        {
            WriteSummary(console, outcomes, elapsed, showTally);
        }
    }

    /// <summary>The end of a run in text: each host that failed or was unreachable with its reason, then the tally.</summary>
    public static void WriteSummary(IAnsiConsole console, IReadOnlyList<HostOutcome> outcomes, TimeSpan elapsed, bool showTally = true)
    {
        foreach (HostOutcome outcome in outcomes.Where(o => o.State != HostState.Ok))
        {
            console.MarkupLine($"{StatusMarkup(outcome.State)} {Markup.Escape(outcome.Host.Name)}: {Markup.Escape(outcome.Summary)}");
        }

        if (showTally)
        {
            console.WriteLine(Tally.Line(outcomes, elapsed));
        }
    }

    public static string StatusMarkup(HostState state) => state switch
    {
        HostState.Ok => "[green]OK[/]",
        HostState.Failed => "[red]FAILED[/]",
        HostState.Unreachable => "[red]UNREACHABLE[/]",
        HostState.Connecting => "[yellow]connecting[/]",
        HostState.Running => "[blue]running[/]",
        _ => "[grey]waiting[/]",
    };
}
