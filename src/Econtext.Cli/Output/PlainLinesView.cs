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
                $"{Markup.Escape(outcome.Host.Name)} | {StatusMarkup(outcome.State)} | {outcome.Elapsed.TotalMilliseconds:0} ms | {Markup.Escape(outcome.Summary)}{Markup.Escape(ReconnectedNote(outcome))}"));
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

        foreach (HostOutcome outcome in outcomes.Where(o => o.State == HostState.Ok && o.Reconnected is not null))
        {
            console.MarkupLine($"[yellow]RECONNECTED[/] {Markup.Escape(outcome.Host.Name)}:{Markup.Escape(ReconnectedNote(outcome))}");
        }

        if (showTally)
        {
            console.WriteLine(Tally.Line(outcomes, elapsed));
        }
    }

    /// <summary>" (reconnected: REASON)" when the agent had to start the host's context again, else nothing.</summary>
    public static string ReconnectedNote(HostOutcome outcome) =>
        outcome.Reconnected is string reason ? $" (reconnected: the agent's context had gone: {Failures.OneLine(reason)})" : string.Empty;

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
