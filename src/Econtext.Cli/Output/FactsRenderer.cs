using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Econtext.Cli.Remote;
using Spectre.Console;

namespace Econtext.Cli.Output;

/// <summary>Writes a <see cref="FactsReport"/> as a table for people or as one JSON object for programs.</summary>
internal static class FactsRenderer
{
    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <summary>The facts' properties and then connectMs and rttMedianUs, all in one flat camelCase object.</summary>
    public static JsonObject ToJson(FactsReport report, FactsFilter? filter = null)
    {
        JsonObject json = JsonSerializer.SerializeToNode(report.Facts, s_json)!.AsObject();
        json["connectMs"] = Math.Round(report.ConnectMs, 3);
        json["rttMedianUs"] = Math.Round(report.RttMedianUs, 1);
        return filter is null ? json : filter.Apply(json);
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

    /// <summary>One host's facts, a row each (a row per interface and per mount); with a filter, only the rows it matches.</summary>
    public static void WriteTable(FactsReport report, IAnsiConsole console, FactsFilter? filter = null, string? title = null)
    {
        var facts = report.Facts;
        var table = new Table()
            .Border(TableBorder.Rounded)
            .AddColumn(new TableColumn("[bold]Fact[/]"))
            .AddColumn(new TableColumn("[bold]Value[/]"));
        if (title is not null)
        {
            table.Title(Markup.Escape(title));
        }

        void Row(string key, string value, params string[] names)
        {
            if (filter is null || filter.MatchesAny(names))
            {
                table.AddRow(new Markup(Markup.Escape(key)), new Text(value));
            }
        }

        Row("Context", $"{facts.ContextName} (id {facts.ContextId})", "contextName", "contextId");
        Row("Connect time", Invariant($"{report.ConnectMs:0.0} ms"), "connectMs");
        Row("Median RTT", Invariant($"{report.RttMedianUs:0.0} µs over {report.RoundTrips} calls"), "rttMedianUs");
        Row("Hostname", facts.Hostname, "hostname");
        if (facts.Fqdn is string fqdn && fqdn != facts.Hostname)
        {
            Row("FQDN", fqdn, "fqdn");
        }

        Row("OS", facts.OsDescription, "osDescription");
        if (facts.Distribution is not null)
        {
            Row("Distribution", $"{facts.Distribution} {facts.DistributionVersion} (family {facts.DistributionFamily ?? "unknown"})".Replace("  ", " ", StringComparison.Ordinal), "distribution", "distributionVersion", "distributionFamily");
        }

        Row("Kernel", facts.KernelVersion ?? "unknown", "kernelVersion");
        Row("Architecture", facts.Architecture, "architecture");
        Row("Processors", facts.ProcessorCount.ToString(CultureInfo.InvariantCulture), "processorCount");
        Row("Memory", Memory(facts.MemoryAvailableBytes, facts.MemoryTotalBytes), "memoryAvailableBytes", "memoryTotalBytes");
        Row(".NET", facts.DotnetVersion, "dotnetVersion");
        Row("User", facts.Uid is int uid ? Invariant($"{facts.UserName} (uid {uid})") : facts.UserName, "userName", "uid");
        Row("Process id", facts.Pid.ToString(CultureInfo.InvariantCulture), "pid");
        if (facts.Virtualization is not null)
        {
            Row("Virtualization", facts.Virtualization, "virtualization");
        }

        if (facts.UptimeSeconds is double uptime)
        {
            Row("Uptime", Uptime(uptime), "uptimeSeconds");
        }

        if (facts.Date is not null)
        {
            Row("Date", facts.Date, "date");
        }

        if (facts.DefaultRoute is DefaultRouteFacts route)
        {
            Row("Default route", $"{(route.Gateway is null ? "" : "via " + route.Gateway + " ")}dev {route.Interface}{(route.Address is null ? "" : " (" + route.Address + ")")}", "defaultRoute");
        }

        foreach (NetworkInterfaceFacts nic in facts.Interfaces ?? [])
        {
            string addresses = nic.Addresses.Length == 0 ? "no address" : string.Join(", ", nic.Addresses);
            Row("Interface " + nic.Name, $"{nic.State}{(nic.MacAddress is null ? "" : ", " + nic.MacAddress)}, {addresses}", "interfaces");
        }

        foreach (MountFacts mount in facts.Mounts ?? [])
        {
            string use = mount.SizeBytes is long size && mount.AvailableBytes is long free ? $"{Gib(free)} free of {Gib(size)}" : "size unknown";
            Row("Mount " + mount.MountPoint, $"{mount.FileSystem} {mount.Device}, {use}", "mounts");
        }

        console.Write(table);
    }

    private static string Uptime(double seconds)
    {
        var span = TimeSpan.FromSeconds(seconds);
        return span.TotalDays >= 1 ? Invariant($"{(int)span.TotalDays} d {span.Hours} h {span.Minutes} min") : Invariant($"{span.Hours} h {span.Minutes} min");
    }

    private static string Memory(long? available, long? total) => (available, total) switch
    {
        (long a, long t) => $"{Gib(a)} available of {Gib(t)}",
        (null, long t) => $"{Gib(t)} total",
        _ => "unknown",
    };

    private static string Gib(long bytes) => Invariant($"{bytes / (1024.0 * 1024 * 1024):0.0} GiB");

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
