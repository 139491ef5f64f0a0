using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Spectre.Console;

namespace Econtext.Cli.Output;

/// <summary>Writes a <see cref="FactsReport"/> as a table for people or as one JSON object for programs.</summary>
internal static class FactsRenderer
{
    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <summary>The facts' properties and then connectMs and rttMedianUs, all in one flat camelCase object.</summary>
    public static JsonObject ToJson(FactsReport report)
    {
        JsonObject json = JsonSerializer.SerializeToNode(report.Facts, s_json)!.AsObject();
        json["connectMs"] = Math.Round(report.ConnectMs, 3);
        json["rttMedianUs"] = Math.Round(report.RttMedianUs, 1);
        return json;
    }

    /// <summary>Several hosts: a row each, with the facts that tell hosts apart.</summary>
    public static void WriteHostsTable(IReadOnlyList<FactsReport> reports, IAnsiConsole console)
    {
        var table = new Table().Border(TableBorder.Rounded);
        foreach (string column in (string[])["Context", "Hostname", "OS", "Kernel", "Arch", "CPUs", "Memory", ".NET", "User", "Connect", "RTT"])
        {
            table.AddColumn(new TableColumn($"[bold]{column}[/]"));
        }

        foreach (FactsReport report in reports)
        {
            var facts = report.Facts;
            table.AddRow(
                new Text(facts.ContextName),
                new Text(facts.Hostname),
                new Text(facts.OsDescription),
                new Text(facts.KernelVersion ?? "?"),
                new Text(facts.Architecture),
                new Text(facts.ProcessorCount.ToString(CultureInfo.InvariantCulture)),
                new Text(Memory(facts.MemoryAvailableBytes, facts.MemoryTotalBytes)),
                new Text(facts.DotnetVersion),
                new Text(facts.UserName),
                new Text(Invariant($"{report.ConnectMs:0} ms")),
                new Text(Invariant($"{report.RttMedianUs:0} µs")));
        }

        console.Write(table);
    }

    public static void WriteTable(FactsReport report, IAnsiConsole console)
    {
        var facts = report.Facts;
        var table = new Table()
            .Border(TableBorder.Rounded)
            .AddColumn(new TableColumn("[bold]Fact[/]"))
            .AddColumn(new TableColumn("[bold]Value[/]"));

        Row(table, "Context", $"{facts.ContextName} (id {facts.ContextId})");
        Row(table, "Connect time", Invariant($"{report.ConnectMs:0.0} ms"));
        Row(table, "Median RTT", Invariant($"{report.RttMedianUs:0.0} µs over {report.RoundTrips} calls"));
        Row(table, "Hostname", facts.Hostname);
        Row(table, "OS", facts.OsDescription);
        Row(table, "Kernel", facts.KernelVersion ?? "unknown");
        Row(table, "Architecture", facts.Architecture);
        Row(table, "Processors", facts.ProcessorCount.ToString(CultureInfo.InvariantCulture));
        Row(table, "Memory", Memory(facts.MemoryAvailableBytes, facts.MemoryTotalBytes));
        Row(table, ".NET", facts.DotnetVersion);
        Row(table, "User", facts.Uid is int uid ? Invariant($"{facts.UserName} (uid {uid})") : facts.UserName);
        Row(table, "Process id", facts.Pid.ToString(CultureInfo.InvariantCulture));
        console.Write(table);
    }

    private static void Row(Table table, string key, string value) =>
        table.AddRow(new Markup(Markup.Escape(key)), new Text(value));

    private static string Memory(long? available, long? total) => (available, total) switch
    {
        (long a, long t) => $"{Gib(a)} available of {Gib(t)}",
        (null, long t) => $"{Gib(t)} total",
        _ => "unknown",
    };

    private static string Gib(long bytes) => Invariant($"{bytes / (1024.0 * 1024 * 1024):0.0} GiB");

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
