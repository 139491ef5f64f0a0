using System.Text.RegularExpressions;

namespace Econtext.Cli.Targets;

/// <summary>Ansible's INI inventory format: host lines, [group], [group:vars] and [group:children] sections.</summary>
internal static partial class IniInventoryParser
{
    private const string SectionHelp = "a section header looks like [group], [group:vars] or [group:children]";

    private sealed record Pending(Kind Kind, int Line, List<(string Group, int Line)> Parents);

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
        // Ansible accepts [g:vars] and [g:children] entries before [g] itself, but g must be declared somewhere. As
        // there, a child group named before its own section joins its parents only when that section comes, and is
        // created then: both orders show in the order Ansible lists hosts and children.
        var pending = new Dictionary<string, Pending>(StringComparer.Ordinal);
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
                if (!inventory.HasGroup(group))
                {
                    if (kind == Kind.Vars && !pending.ContainsKey(group))
                    {
                        pending[group] = new Pending(Kind.Vars, number, []);
                    }
                    inventory.Group(group);
                }
                if (kind != Kind.Vars && pending.TryGetValue(group, out var waiting))
                {
                    if (waiting.Kind == Kind.Children)
                    {
                        AddPendingChildren(group, pending, inventory);
                    }
                    else
                    {
                        pending.Remove(group);
                    }
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
                    if (inventory.HasGroup(name))
                    {
                        inventory.Group(group).AddChild(name);
                    }
                    else if (pending.TryGetValue(name, out var declaration))
                    {
                        declaration.Parents.Add((group, number));
                    }
                    else
                    {
                        pending[name] = new Pending(Kind.Children, number, [(group, number)]);
                    }
                    break;
                case Kind.Vars:
                    var equals = line.IndexOf('=', StringComparison.Ordinal);
                    if (equals <= 0)
                    {
                        throw Error($"\"{line}\" is not a variable; lines in [{group}:vars] look like name=value");
                    }
                    inventory.Group(group).SetVar(line[..equals].Trim(), PythonLiteral.Text(line[(equals + 1)..].Trim()));
                    break;
                default:
                    ParseHostLine(line, group, inventory, Error);
                    break;
            }
        }
        foreach (var (name, declaration) in pending)
        {
            var (parent, line) = (declaration.Kind == Kind.Vars ? name : declaration.Parents[^1].Group, declaration.Line);
            throw new InventoryException(file, line, declaration.Kind == Kind.Vars
                ? $"[{name}:vars] is for a group that no [{name}] or [{name}:children] section declares"
                : $"[{parent}:children] lists {name}, which no [{name}] or [{name}:children] section declares");
        }
    }

    // Ansible's _add_pending_children: the group joins the parents that named it, and a parent that was itself
    // waiting as a child joins its own.
    private static void AddPendingChildren(string group, Dictionary<string, Pending> pending, Inventory inventory)
    {
        foreach (var (parent, _) in pending[group].Parents)
        {
            inventory.Group(parent).AddChild(group);
            if (pending.TryGetValue(parent, out var waiting) && waiting.Kind == Kind.Children)
            {
                AddPendingChildren(parent, pending, inventory);
            }
        }
        pending.Remove(group);
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
            vars.Add((word[..equals], PythonLiteral.Text(word[(equals + 1)..])));
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

    [GeneratedRegex(@"^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:[#;].*)?$")]
    private static partial Regex Section();

    [GeneratedRegex(@"^([^:\]\s\[]+)\s*(?:[#;].*)?$")]
    private static partial Regex ChildLine();
}
