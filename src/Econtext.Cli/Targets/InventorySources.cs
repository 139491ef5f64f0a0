using System.Text.RegularExpressions;

namespace Econtext.Cli.Targets;

/// <summary>
/// Where an inventory comes from, as Ansible's <c>-i</c> takes it (repeatable): a file (INI or YAML), a directory
/// (each file in it, in name order, except hidden ones, group_vars, host_vars and Ansible's ignored extensions such
/// as .ini, .cfg, .md, .txt, .retry, ~), or a list of hosts with a comma (<c>-i 'web1,web2,'</c>). Beside each file or
/// directory, <c>group_vars/</c> and <c>host_vars/</c> hold variables for groups and hosts.
/// </summary>
internal static partial class InventorySources
{
    /// <summary>Reads every source into one inventory. Files a directory holds that parse as neither format are skipped with a warning, as Ansible does.</summary>
    public static Inventory Load(
        IReadOnlyList<string> sources,
        Func<string, string> fullPath,
        IReadOnlyDictionary<string, string>? extraVars = null,
        IReadOnlyDictionary<string, string>? defaults = null)
    {
        var inventory = new Inventory(string.Join(", ", sources));
        foreach (var (key, value) in extraVars ?? new Dictionary<string, string>())
        {
            inventory.ExtraVars[key] = value;
        }
        foreach (var (key, value) in defaults ?? new Dictionary<string, string>())
        {
            inventory.Defaults[key] = value;
        }
        foreach (var source in sources)
        {
            var full = fullPath(source);
            if (source.Contains(',', StringComparison.Ordinal) && !Path.Exists(full))
            {
                AddHostList(inventory, source);
                continue;
            }
            if (Directory.Exists(full))
            {
                inventory.VariableDirectories.Add(full);
                foreach (var entry in Directory.EnumerateFileSystemEntries(full).Order(StringComparer.Ordinal))
                {
                    var name = Path.GetFileName(entry);
                    if (!Ignored().IsMatch(name))
                    {
                        LoadEntry(inventory, Path.Combine(source, name), entry);
                    }
                }
                continue;
            }
            inventory.VariableDirectories.Add(Path.GetDirectoryName(full)!);
            inventory.Parse(source, full);
        }
        inventory.Complete(string.Join(", ", sources));
        return inventory;
    }

    // A directory's entries: subdirectories recursively, files in either format, anything else skipped with a warning.
    private static void LoadEntry(Inventory inventory, string typed, string full)
    {
        if (Directory.Exists(full))
        {
            foreach (var entry in Directory.EnumerateFileSystemEntries(full).Order(StringComparer.Ordinal))
            {
                var name = Path.GetFileName(entry);
                if (!Ignored().IsMatch(name))
                {
                    LoadEntry(inventory, Path.Combine(typed, name), entry);
                }
            }
            return;
        }
        try
        {
            inventory.Parse(typed, full);
        }
        catch (InventoryException e)
        {
            inventory.Warnings.Add($"Unable to parse {typed} as an inventory source, so it is skipped: {e.Message}");
        }
    }

    // Ansible's host_list plugin: names (with an optional :port) separated by commas, in ungrouped.
    private static void AddHostList(Inventory inventory, string list)
    {
        foreach (var entry in list.Split(',').Select(e => e.Trim()).Where(e => e.Length > 0))
        {
            var (name, port) = (entry, (string?)null);
            try
            {
                var (names, parsedPort) = HostRange.Parse(entry);
                if (names.Count == 1)
                {
                    (name, port) = (names[0], parsedPort);
                }
            }
            catch (FormatException)
            {
                // Ansible keeps an entry it cannot read as an address as the host's name.
            }
            if (inventory.FindDeclaredHost(name))
            {
                continue;
            }
            inventory.AddHost(name, Inventory.UngroupedGroup);
            if (port is not null)
            {
                inventory.SetHostVar(name, "ansible_port", port);
            }
        }
    }

    /// <summary>
    /// Ansible's <c>-e</c> values merged in order, the later winning: <c>@FILE</c> (YAML or JSON), an inline YAML or JSON
    /// mapping (<c>{"a": 1}</c>), or <c>key=value</c> words (quote a value with spaces).
    /// </summary>
    public static Dictionary<string, string> ExtraVariables(IEnumerable<string> values, Func<string, string> fullPath)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var value in values)
        {
            var text = value.Trim();
            IEnumerable<(string Name, string Value)> pairs;
            if (text.StartsWith('@'))
            {
                var file = text[1..];
                string content;
                try
                {
                    content = File.ReadAllText(fullPath(file));
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    throw new InventoryException($"-e {text}: cannot read {file} ({e.Message}); -e @FILE takes a YAML or JSON file of variables");
                }
                pairs = YamlInventoryParser.ReadVariables(content, file);
            }
            else if (text.StartsWith('{') || text.StartsWith('['))
            {
                pairs = YamlInventoryParser.ReadVariables(text, $"-e '{text}'");
            }
            else
            {
                var words = new List<(string, string)>();
                IReadOnlyList<string> split;
                try
                {
                    split = ShellWords.Split(text);
                }
                catch (FormatException e)
                {
                    throw new InventoryException($"-e '{text}': {e.Message}", e);
                }
                foreach (var word in split)
                {
                    var equals = word.IndexOf('=', StringComparison.Ordinal);
                    if (equals <= 0)
                    {
                        throw new InventoryException($"-e '{text}': \"{word}\" is not name=value; -e takes name=value words, a YAML or JSON mapping, or @FILE");
                    }
                    words.Add((word[..equals], word[(equals + 1)..]));
                }
                pairs = words;
            }
            foreach (var (name, variable) in pairs)
            {
                result[name] = variable;
            }
        }
        return result;
    }

    /// <summary>
    /// A <c>group_vars</c> or <c>host_vars</c> entry as Ansible's host_group_vars plugin finds it: the first of NAME,
    /// NAME.yml, NAME.yaml, NAME.json; a directory stands for every file under it, in name order.
    /// </summary>
    public static IEnumerable<string> VariableFiles(string directory, string name)
    {
        foreach (var extension in (ReadOnlySpan<string>)["", ".yml", ".yaml", ".json"])
        {
            var path = Path.Combine(directory, name + extension);
            if (Directory.Exists(path))
            {
                return DirectoryFiles(path);
            }
            if (File.Exists(path))
            {
                return [path];
            }
        }
        return [];
    }

    private static IEnumerable<string> DirectoryFiles(string directory)
    {
        foreach (var entry in Directory.EnumerateFileSystemEntries(directory).Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(entry);
            var extension = Path.GetExtension(name);
            if (name.StartsWith('.') || name.EndsWith('~'))
            {
                continue;
            }
            if (Directory.Exists(entry) && extension.Length == 0)
            {
                foreach (var file in DirectoryFiles(entry))
                {
                    yield return file;
                }
            }
            else if (File.Exists(entry) && extension is "" or ".yml" or ".yaml" or ".json")
            {
                yield return entry;
            }
        }
    }

    // Ansible's IGNORED: hidden entries, the variable directories, and INVENTORY_IGNORE_EXTS's default.
    [GeneratedRegex(@"^\.|^host_vars$|^group_vars$|^vars_plugins$|(\.pyc|\.pyo|\.swp|\.bak|~|\.rpm|\.md|\.txt|\.rst|\.orig|\.ini|\.cfg|\.retry)$")]
    private static partial Regex Ignored();
}
