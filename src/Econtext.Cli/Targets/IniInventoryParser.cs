using System.Text.RegularExpressions;

namespace Econtext.Cli.Targets;

/// <summary>Ansible's INI inventory format: host lines, [group], [group:vars] and [group:children] sections.</summary>
internal static partial class IniInventoryParser
{
    private const string SectionHelp = "a section header looks like [group], [group:vars] or [group:children]";

    private enum Kind
    {
        Hosts,
        Vars,
        Children,
    }

    public static void Parse(string text, Inventory inventory)
    {
        var file = inventory.FileName;
        var (group, kind) = (Inventory.UngroupedGroup, Kind.Hosts);
        // Ansible accepts [g:vars] and [g:children] entries before [g] itself, but g must be declared somewhere.
        var declared = new HashSet<string>(StringComparer.Ordinal) { Inventory.AllGroup, Inventory.UngroupedGroup };
        var referenced = new Dictionary<string, (int Line, string Problem)>(StringComparer.Ordinal);
        var lines = text.Split('\n');
        for (var number = 1; number <= lines.Length; number++)
        {
            var line = lines[number - 1].Trim();
            InventoryException Error(string problem, Exception? inner = null) => new(file, number, problem, inner);
            if (line.Length == 0 || line[0] is '#' or ';')
            {
                continue;
            }
            if (line[0] == '[' && !HostRange.IsBracketedIPv6(line.Split(' ', '\t')[0], out _, out _))
            {
                var header = Section().Match(line);
                if (!header.Success)
                {
                    throw Error(line.Contains(']', StringComparison.Ordinal)
                        ? $"\"{line}\" is not a valid section header (no spaces or colons in a group name); {SectionHelp}"
                        : $"\"{line}\" has no closing bracket; {SectionHelp}");
                }
                group = header.Groups[1].Value;
                kind = header.Groups[2].Value switch
                {
                    "" or "hosts" => Kind.Hosts,
                    "vars" => Kind.Vars,
                    "children" => Kind.Children,
                    var other => throw Error($"section [{group}:{other}] has the unknown type \"{other}\"; {SectionHelp}"),
                };
                inventory.Group(group);
                if (kind == Kind.Vars)
                {
                    referenced.TryAdd(group, (number, $"[{group}:vars] is for a group that no [{group}] or [{group}:children] section declares"));
                }
                else
                {
                    declared.Add(group);
                }
                continue;
            }
            switch (kind)
            {
                case Kind.Children:
                    var child = ChildLine().Match(line);
                    if (!child.Success)
                    {
                        throw Error($"\"{line}\" is not a group name; a [{group}:children] section lists one group per line");
                    }
                    var name = child.Groups[1].Value;
                    inventory.Group(group).AddChild(name);
                    inventory.Group(name);
                    referenced.TryAdd(name, (number, $"[{group}:children] lists {name}, which no [{name}] or [{name}:children] section declares"));
                    break;
                case Kind.Vars:
                    var equals = line.IndexOf('=', StringComparison.Ordinal);
                    if (equals <= 0)
                    {
                        throw Error($"\"{line}\" is not a variable; lines in [{group}:vars] look like name=value");
                    }
                    inventory.Group(group).SetVar(line[..equals].Trim(), Unquote(line[(equals + 1)..].Trim()));
                    break;
                default:
                    ParseHostLine(line, group, inventory, Error);
                    break;
            }
        }
        foreach (var (name, (line, problem)) in referenced)
        {
            if (!declared.Contains(name))
            {
                throw new InventoryException(file, line, problem);
            }
        }
    }

    private static void ParseHostLine(string line, string group, Inventory inventory, Func<string, Exception?, InventoryException> error)
    {
        IReadOnlyList<string> words;
        try
        {
            words = ShellWords.Split(line, comments: true);
        }
        catch (FormatException e)
        {
            throw error($"cannot split the host line: {e.Message}", e);
        }
        if (words.Count == 0)
        {
            return;
        }
        IReadOnlyList<string> names;
        string? port;
        try
        {
            (names, port) = HostRange.Parse(words[0]);
        }
        catch (FormatException e)
        {
            throw error(e.Message, e);
        }
        var vars = new List<(string, string)>();
        if (port is not null)
        {
            vars.Add(("ansible_port", port));
        }
        foreach (var word in words.Skip(1))
        {
            var equals = word.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw error($"\"{word}\" is not a host variable; after the host name come name=value pairs (quote a value that has spaces)", null);
            }
            vars.Add((word[..equals], word[(equals + 1)..]));
        }
        foreach (var name in names)
        {
            inventory.AddHost(name, group);
            foreach (var (key, value) in vars)
            {
                inventory.SetHostVar(name, key, value);
            }
        }
    }

    // Ansible reads a [group:vars] value as a Python literal; of that, a quoted string is the case that matters here.
    private static string Unquote(string value) =>
        value.Length >= 2 && value[0] is '"' or '\'' && value[^1] == value[0] ? value[1..^1] : value;

    [GeneratedRegex(@"^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:[#;].*)?$")]
    private static partial Regex Section();

    [GeneratedRegex(@"^([^:\]\s\[]+)\s*(?:[#;].*)?$")]
    private static partial Regex ChildLine();
}
