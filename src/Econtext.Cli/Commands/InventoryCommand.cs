using System.CommandLine;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Econtext.Cli.Running;
using Econtext.Cli.Targets;

namespace Econtext.Cli.Commands;

/// <summary>
/// <c>econtext inventory</c>: an inventory as econtext reads it, in ansible-inventory's forms (<c>--list</c>,
/// <c>--graph [GROUP]</c>, <c>--host HOST</c>), so the two can be compared side by side. Nothing connects.
/// </summary>
internal static class InventoryCommand
{
    public static IReadOnlyList<string> Examples { get; } =
    [
        "econtext inventory -i hosts.ini --graph",
        "econtext inventory -i inventories/prod --list | jq '._meta.hostvars.web1'",
        "econtext inventory -i hosts.yml --host web1",
        "diff <(econtext inventory -i hosts --host web1) <(ansible-inventory -i hosts --host web1)",
    ];

    public static Command Create()
    {
        var inventory = new Option<string[]>("--inventory", "-i")
        {
            Description = "An Ansible inventory (INI or YAML file, a directory of them, or hosts with a comma), with group_vars/ and host_vars/ beside it; may be repeated.",
            HelpName = "source",
            AllowMultipleArgumentsPerToken = false,
        };
        var extraVars = new Option<string[]>("--extra-vars", "-e")
        {
            Description = "Variables over all others: name=value, YAML or JSON, or @FILE. May be repeated.",
            HelpName = "vars",
            AllowMultipleArgumentsPerToken = false,
        };
        var list = new Option<bool>("--list") { Description = "Every group with its hosts and children, and every host's variables (_meta.hostvars), as JSON." };
        var graph = new Option<bool>("--graph") { Description = "The groups as a tree, from all or from the GROUP argument." };
        var host = new Option<string?>("--host") { Description = "One host's variables after precedence, as JSON.", HelpName = "host" };
        var group = new Argument<string?>("group") { Description = "With --graph: the group to start from (default all).", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("inventory", "Show an inventory as econtext reads it, in ansible-inventory's forms: --list, --graph [GROUP], --host HOST.")
        {
            inventory, extraVars, list, graph, host, group,
        };
        command.SetAction((parseResult, cancellationToken) => CommandErrors.RunAsync(
            _ =>
            {
                int modes = (parseResult.GetValue(list) ? 1 : 0) + (parseResult.GetValue(graph) ? 1 : 0) + (parseResult.GetValue(host) is null ? 0 : 1);
                if (modes != 1)
                {
                    throw new UsageException("give one of --list, --graph or --host HOST, e.g. econtext inventory -i hosts.ini --graph");
                }

                Dictionary<string, string> extra = InventorySources.ExtraVariables(parseResult.GetValue(extraVars) ?? [], CliSession.Current.FullPath);
                string[] sources = parseResult.GetValue(inventory) is { Length: > 0 } given ? given
                    : [.. AnsibleDefaults.Load(CliSession.Current.Variable, CliSession.Current.WorkingDirectory).Inventory];
                if (sources.Length == 0)
                {
                    throw new UsageException("give an inventory with -i (or set ANSIBLE_INVENTORY, or inventory in ansible.cfg's [defaults])");
                }

                Inventory read = InventorySources.Load(sources, CliSession.Current.FullPath, extra);
                foreach (string warning in read.Warnings)
                {
                    CliSession.Current.Error.WriteLine($"[WARNING]: {warning}");
                }

                TextWriter output = CliSession.Current.Out;
                if (parseResult.GetValue(host) is string name)
                {
                    TargetHost found = read.FindHost(name) ?? (Inventory.IsLocalhostName(name) ? read.ImplicitLocalhost(name) : null)
                        ?? throw new UsageException($"the inventory has no host {name}");
                    output.WriteLine(Json(Variables(found)));
                }
                else if (parseResult.GetValue(graph))
                {
                    string start = parseResult.GetValue(group) ?? Inventory.AllGroup;
                    if (!read.Groups.ContainsKey(start))
                    {
                        throw new UsageException($"--graph takes a group name; the inventory has no group {start}");
                    }

                    Graph(read, start, 0, output);
                }
                else
                {
                    output.WriteLine(Json(List(read)));
                }

                return Task.FromResult(0);
            },
            cancellationToken));
        return command;
    }

    // ansible-inventory's _graph_group: a group, its children in order, then its own hosts (all's are left out).
    private static void Graph(Inventory inventory, string name, int depth, TextWriter output)
    {
        static string Line(string text, int depth) => depth == 0 ? text : string.Concat(Enumerable.Repeat("  |", depth)) + "--" + text;
        InventoryGroup group = inventory.Groups[name];
        output.WriteLine(Line($"@{name}:", depth));
        foreach (string child in group.Children)
        {
            Graph(inventory, child, depth + 1, output);
        }

        if (name != Inventory.AllGroup)
        {
            foreach (string host in group.Hosts)
            {
                output.WriteLine(Line(host, depth + 1));
            }
        }
    }

    // ansible-inventory's json_inventory: each group reached from all with its own hosts and children, empty ones left out.
    private static JsonObject List(Inventory inventory)
    {
        var result = new JsonObject();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        void Format(string name)
        {
            InventoryGroup group = inventory.Groups[name];
            var entry = new JsonObject();
            if (name != Inventory.AllGroup && group.Hosts.Count > 0)
            {
                entry["hosts"] = new JsonArray([.. group.Hosts.Select(h => (JsonNode)h)]);
            }

            if (group.Children.Count > 0)
            {
                entry["children"] = new JsonArray([.. group.Children.Select(c => (JsonNode)c)]);
            }

            if (entry.Count > 0)
            {
                result[name] = entry;
            }

            foreach (string child in group.Children.Where(seen.Add))
            {
                Format(child);
            }
        }

        Format(Inventory.AllGroup);
        var hostvars = new JsonObject();
        foreach (TargetHost host in inventory.HostsOf(Inventory.AllGroup).Where(h => h.Vars.Count > 0))
        {
            hostvars[host.Name] = Variables(host);
        }

        result["_meta"] = new JsonObject { ["hostvars"] = hostvars };
        return Sorted(result)!.AsObject();
    }

    // Values are kept as text; a list or mapping (kept as its JSON) is shown as itself.
    private static JsonObject Variables(TargetHost host)
    {
        var vars = new JsonObject();
        foreach ((string key, string value) in host.Vars.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            JsonNode? node = value;
            if (value.Length > 0 && value[0] is '[' or '{')
            {
                try
                {
                    node = JsonNode.Parse(value);
                }
                catch (JsonException)
                {
                    node = value;
                }
            }

            vars[key] = node;
        }

        return vars;
    }

    // ansible-inventory sorts keys (sort_keys=True); lists keep their order.
    private static JsonNode? Sorted(JsonNode? node) => node switch
    {
        JsonObject o => new JsonObject(o.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => KeyValuePair.Create(p.Key, Sorted(p.Value)))),
        JsonArray a => new JsonArray([.. a.Select(Sorted)]),
        _ => node?.DeepClone(),
    };

    private static string Json(JsonNode node) =>
        node.ToJsonString(new JsonSerializerOptions { WriteIndented = true, IndentSize = 4, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
}
