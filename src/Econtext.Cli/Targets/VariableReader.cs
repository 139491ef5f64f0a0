using System.Text.Json;

namespace Econtext.Cli.Targets;

/// <summary>One host's variables after precedence, read by name, with errors that name the inventory and the host.</summary>
internal sealed class VariableReader(string host, IReadOnlyDictionary<string, string> vars, string file)
{
    public InventoryException Error(string problem, Exception? inner = null) => new(file, null, $"host {host}: {problem}", inner);

    /// <summary>
    /// The first of <paramref name="keys"/> that is set, so callers list the variable Ansible lets win first. Empty
    /// values (YAML's null, "key=" in INI) count as unset, as an undefined variable would.
    /// </summary>
    public string? Get(params string[] keys) =>
        keys.Select(k => vars.GetValueOrDefault(k)).FirstOrDefault(v => !string.IsNullOrEmpty(v));

    /// <summary>A variable holding arguments for a program, split into words the way a POSIX shell would (never run through one).</summary>
    public IReadOnlyList<string> Words(string key)
    {
        if (Get(key) is not { } text)
        {
            return [];
        }

        try
        {
            return ShellWords.Split(text);
        }
        catch (FormatException e)
        {
            throw Error($"{key} cannot be split into words: {e.Message}", e);
        }
    }

    /// <summary>A yes/no variable; null when unset.</summary>
    public bool? Boolean(string key) => Get(key) is not { } text ? null
        : HostVariables.ParseBoolean(text) ?? throw Error($"{key} is \"{text}\"; it must be yes/no, true/false, on/off or 1/0");

    /// <summary>
    /// A variable holding names and values (Ansible's dict type): a YAML mapping, or in INI a JSON object such as
    /// <c>{"LANG": "C.UTF-8"}</c>. Null when unset.
    /// </summary>
    public IReadOnlyDictionary<string, string>? Mapping(string key)
    {
        if (Get(key) is not { } text)
        {
            return null;
        }

        string example = $"{key} must map names to values, e.g. {key}='{{\"LANG\": \"C.UTF-8\"}}' in INI or a mapping in YAML";
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(text);
        }
        catch (JsonException e)
        {
            throw Error($"{key} is \"{text}\"; {example}", e);
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw Error($"{key} is \"{text}\"; {example}");
            }

            var result = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (JsonProperty property in document.RootElement.EnumerateObject())
            {
                if (property.Name.Length == 0 || property.Name.Contains('=', StringComparison.Ordinal))
                {
                    throw Error($"{key} names a variable \"{property.Name}\"; a variable's name is not empty and has no '='");
                }

                result[property.Name] = property.Value.ValueKind switch
                {
                    JsonValueKind.String => property.Value.GetString()!,
                    JsonValueKind.Number => property.Value.GetRawText(),
                    _ => throw Error($"{key} gives {property.Name} a {property.Value.ValueKind.ToString().ToLowerInvariant()}; each value must be text (quote it)"),
                };
            }

            return result;
        }
    }
}
