using System.Buffers;
using System.Text;
using System.Text.Json;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Econtext.Cli.Targets;

/// <summary>
/// Ansible's YAML inventory format: top-level keys are groups (usually just <c>all</c>), each a mapping with
/// <c>hosts</c>, <c>vars</c> and <c>children</c>. Scalars keep their text (<c>yes</c> stays "yes"); a nested
/// mapping or list becomes its JSON text with every scalar as a string.
/// </summary>
internal static class YamlInventoryParser
{
    public static void Parse(string text, Inventory inventory)
    {
        var file = inventory.FileName;
        var stream = new YamlStream();
        var parser = new Parser(new StringReader(text));
        try
        {
            stream.Load(parser);
        }
        catch (YamlException e)
        {
            throw new InventoryException(file, (int)e.Start.Line, (int)e.Start.Column, $"not valid YAML: {Describe(e)}", e);
        }
        catch (InvalidOperationException e) when (parser.Current is { } last)
        {
            // YamlDotNet 18 fails this way on some unclosed flow collections ({a: 1 then a new line); the last
            // event it read is the best position there is.
            throw new InventoryException(file, (int)last.End.Line, (int)last.End.Column, "not valid YAML after this point; look for an unclosed { or [ or quote", e);
        }
        if (stream.Documents.Count > 1)
        {
            throw At(file, stream.Documents[1].RootNode, "the file holds more than one YAML document; an inventory is one");
        }
        var root = stream.Documents.Count == 0 ? null : stream.Documents[0].RootNode;
        if (IsNull(root))
        {
            return;
        }
        if (root is not YamlMappingNode groups)
        {
            throw At(file, root!, "the top level must map group names to groups, like all: {hosts: {web1: }, children: {...}}");
        }
        foreach (var (key, value) in groups.Children)
        {
            ReadGroup(inventory, Key(file, key), value, null);
        }
    }

    /// <summary>
    /// A <c>group_vars</c> or <c>host_vars</c> file: one YAML (or JSON) mapping of variables, values kept as an
    /// inventory's are; an empty file has none.
    /// </summary>
    public static IReadOnlyList<(string Name, string Value)> ReadVariables(string text, string file)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            throw new InventoryException(file, (int)e.Start.Line, (int)e.Start.Column, $"not valid YAML: {Describe(e)}", e);
        }
        var root = stream.Documents.Count == 0 ? null : stream.Documents[0].RootNode;
        return IsNull(root) ? []
            : [.. Mapping(file, root!, "a variables file").Children.Select(pair => (Key(file, pair.Key), ValueText(pair.Value)))];
    }

    private static void ReadGroup(Inventory inventory, string name, YamlNode? node, string? parent)
    {
        var file = inventory.FileName;
        var group = inventory.Group(name);
        if (parent is not null)
        {
            inventory.Group(parent).AddChild(name);
        }
        if (IsNull(node))
        {
            return;
        }
        foreach (var (key, value) in Mapping(file, node!, $"group {name}").Children)
        {
            var section = Key(file, key);
            if (IsNull(value))
            {
                continue;
            }
            switch (section)
            {
                case "hosts":
                    foreach (var (hostKey, hostVars) in Mapping(file, value, $"the hosts of group {name}").Children)
                    {
                        ReadHost(inventory, name, hostKey, hostVars);
                    }
                    break;
                case "vars":
                    foreach (var (varKey, varValue) in Mapping(file, value, $"the vars of group {name}").Children)
                    {
                        group.SetVar(Key(file, varKey), ValueText(varValue));
                    }
                    break;
                case "children":
                    foreach (var (childKey, childValue) in Mapping(file, value, $"the children of group {name}").Children)
                    {
                        ReadGroup(inventory, Key(file, childKey), childValue, name);
                    }
                    break;
                default:
                    // Ansible only warns here, but a mistyped "host:" would silently drop every host under it.
                    throw At(file, key, $"group {name} has the key \"{section}\"; a group's keys are hosts, vars and children");
            }
        }
    }

    private static void ReadHost(Inventory inventory, string group, YamlNode key, YamlNode vars)
    {
        var file = inventory.FileName;
        IReadOnlyList<string> names;
        string? port;
        try
        {
            (names, port) = HostRange.Parse(Key(file, key));
        }
        catch (FormatException e)
        {
            throw At(file, key, e.Message, e);
        }
        var values = IsNull(vars) ? [] : Mapping(file, vars, $"host {Key(file, key)}").Children
            .Select(pair => (Key(file, pair.Key), ValueText(pair.Value))).ToList();
        foreach (var name in names)
        {
            inventory.AddHost(name, group);
            if (port is not null)
            {
                inventory.SetHostVar(name, "ansible_port", port);
            }
            foreach (var (variable, value) in values)
            {
                inventory.SetHostVar(name, variable, value);
            }
        }
    }

    private static YamlMappingNode Mapping(string file, YamlNode node, string what) =>
        node as YamlMappingNode ?? throw At(file, node, $"{what} must be a mapping (name: value lines), not a {Kind(node)}");

    private static string Key(string file, YamlNode node) =>
        node is YamlScalarNode { Value: { Length: > 0 } value } ? value : throw At(file, node, $"a name here must be plain text, not a {Kind(node)}");

    private static string Kind(YamlNode node) => node switch
    {
        YamlSequenceNode => "list",
        YamlMappingNode => "mapping",
        _ => "single value",
    };

    // YAML's null: an empty value, ~ or null, unquoted.
    private static bool IsNull(YamlNode? node) =>
        node is null || node is YamlScalarNode { Style: ScalarStyle.Plain or ScalarStyle.Any, Value: null or "" or "~" or "null" or "Null" or "NULL" };

    private static string ValueText(YamlNode node)
    {
        if (node is YamlScalarNode scalar)
        {
            return IsNull(scalar) ? "" : scalar.Value ?? "";
        }
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            WriteJson(writer, node);
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void WriteJson(Utf8JsonWriter writer, YamlNode node)
    {
        switch (node)
        {
            case YamlMappingNode mapping:
                writer.WriteStartObject();
                foreach (var (key, value) in mapping.Children)
                {
                    writer.WritePropertyName(key is YamlScalarNode { Value: { } name } ? name : key.ToString());
                    WriteJson(writer, value);
                }
                writer.WriteEndObject();
                break;
            case YamlSequenceNode sequence:
                writer.WriteStartArray();
                foreach (var item in sequence.Children)
                {
                    WriteJson(writer, item);
                }
                writer.WriteEndArray();
                break;
            default:
                if (IsNull(node))
                {
                    writer.WriteNullValue();
                }
                else
                {
                    writer.WriteStringValue(((YamlScalarNode)node).Value);
                }
                break;
        }
    }

    // YamlDotNet puts "(Line: 3, Col: 5, Idx: 20) - (Line: ...): " before the problem; the position is said already.
    private static string Describe(YamlException e)
    {
        var message = e.Message;
        var start = message.IndexOf("): ", StringComparison.Ordinal);
        return message.StartsWith("(Line:", StringComparison.Ordinal) && start >= 0 ? message[(start + 3)..] : message;
    }

    private static InventoryException At(string file, YamlNode node, string problem, Exception? inner = null) =>
        new(file, (int)node.Start.Line, (int)node.Start.Column, problem, inner);
}
