using System.Globalization;
using Econtext.Cli.Running;
using Spectre.Console;

namespace Econtext.Cli.Output;

/// <summary>On a terminal: a table with a row per host, redrawn as hosts connect, run and finish.</summary>
internal sealed class LiveTableView(IAnsiConsole console) : IRunView
{
    /// <summary>Rows beyond this are summarised in one line, so a large fleet does not scroll the terminal away.</summary>
    private const int MaxRows = 40;

    public async Task ShowAsync(IReadOnlyList<HostProgress> hosts, Task finished)
    {
        await console.Live(Render(hosts)).AutoClear(false).StartAsync(async live =>
        {
            while (!finished.IsCompleted)
            {
                await Task.WhenAny(finished, Task.Delay(100)).ConfigureAwait(false);
                live.UpdateTarget(Render(hosts));
            }

            live.UpdateTarget(Render(hosts));
        }).ConfigureAwait(false);
    }

    public void HostFinished(HostProgress host)
    {
    }

    public void Summarize(IReadOnlyList<HostOutcome> outcomes, TimeSpan elapsed) =>
        PlainLinesView.WriteSummary(console, outcomes, elapsed);

    private static Table Render(IReadOnlyList<HostProgress> hosts)
    {
        var table = new Table().Border(TableBorder.Rounded)
            .AddColumn("[bold]Host[/]")
            .AddColumn("[bold]State[/]")
            .AddColumn(new TableColumn("[bold]Time[/]").RightAligned())
            .AddColumn("[bold]Detail[/]");

        // Hosts still working come first when they do not all fit, so the display shows what is moving.
        IEnumerable<HostProgress> shown = hosts.Count <= MaxRows
            ? hosts
            : hosts.OrderBy(h => h.State is HostState.Ok or HostState.Failed or HostState.Unreachable ? 1 : 0).Take(MaxRows);
        foreach (HostProgress host in shown)
        {
            table.AddRow(
                new Text(host.Host.Name),
                new Markup(PlainLinesView.StatusMarkup(host.State)),
                new Text(string.Create(CultureInfo.InvariantCulture, $"{host.Elapsed.TotalSeconds:0.0} s")),
                new Text(host.Detail).Overflow(Overflow.Ellipsis));
        }

        if (hosts.Count > MaxRows)
        {
            int done = hosts.Count(h => h.State is HostState.Ok or HostState.Failed or HostState.Unreachable);
            table.Caption(string.Create(CultureInfo.InvariantCulture, $"{hosts.Count - MaxRows} more hosts; {done} of {hosts.Count} done"));
        }

        return table;
    }
}
