using System.Globalization;
using System.Text.RegularExpressions;

namespace Econtext.Cli.Targets;

/// <summary>
/// An Ansible inventory (INI or YAML) read with Ansible's semantics: groups, child groups, the implicit
/// <c>all</c> and <c>ungrouped</c> groups, and variable precedence (all &lt; parent &lt; child &lt; host; groups
/// of equal depth by <c>ansible_group_priority</c> then name, the later winning). Each host becomes a
/// <see cref="TargetHost"/>.
/// </summary>
internal sealed partial class Inventory
{
    public const string AllGroup = "all";
    public const string UngroupedGroup = "ungrouped";

    private readonly List<string> _hostOrder = [];
    private readonly Dictionary<string, Dictionary<string, string>> _hostVars = new(StringComparer.Ordinal);
    private readonly Dictionary<string, InventoryGroup> _groups = new(StringComparer.Ordinal);
    // Filled by Complete: every group each host belongs to, its own and their ancestors, all included.
    private readonly Dictionary<string, HashSet<string>> _memberships = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TargetHost> _byName = new(StringComparer.Ordinal);
    private readonly List<TargetHost> _hosts = [];
    private readonly Dictionary<string, IReadOnlyList<TargetHost>> _hostsOf = new(StringComparer.Ordinal);
    private TargetHost? _implicitLocalhost;
    private Dictionary<string, int>? _priorities;
    private readonly Dictionary<string, IReadOnlyList<(string Name, string Value)>> _variableFiles = new(StringComparer.Ordinal);

    internal Inventory(string fileName)
    {
        FileName = fileName;
        Group(AllGroup);
        Group(UngroupedGroup);
        // As in Ansible, ungrouped is all's first child, so all lists ungrouped hosts before other groups'.
        _groups[AllGroup].AddChild(UngroupedGroup);
    }

    /// <summary>The file as the user named it, for messages.</summary>
    public string FileName { get; private set; }

    /// <summary>Where group_vars/ and host_vars/ are looked for: each source's directory, in source order.</summary>
    internal List<string> VariableDirectories { get; } = [];

    /// <summary>Variables under every other (the command line's -c as ansible_connection): any inventory variable overrides them.</summary>
    internal Dictionary<string, string> Defaults { get; } = new(StringComparer.Ordinal);

    /// <summary>Ansible's extra variables (-e): over every other, inventory, group_vars and host_vars alike.</summary>
    internal Dictionary<string, string> ExtraVars { get; } = new(StringComparer.Ordinal);

    /// <summary>What Ansible would warn about while reading (a file in an inventory directory that is no inventory).</summary>
    public List<string> Warnings { get; } = [];

    /// <summary>Every host, in the order the inventory first mentions it.</summary>
    public IReadOnlyList<TargetHost> Hosts => _hosts;

    public IReadOnlyCollection<string> GroupNames => _groups.Keys;

    public IReadOnlyDictionary<string, InventoryGroup> Groups => _groups;

    /// <summary>
    /// Reads an inventory file, YAML for .yml/.yaml/.json or content that opens like YAML, INI otherwise;
    /// from <paramref name="fullPath"/> when given (the path made absolute against the person's directory),
    /// named in messages as <paramref name="path"/> they typed.
    /// </summary>
    public static Inventory Load(string path, string? fullPath = null) =>
        InventorySources.Load([path], p => fullPath ?? Path.GetFullPath(p));

    public static Inventory ParseIni(string text, string fileName)
    {
        var inventory = new Inventory(fileName);
        IniInventoryParser.Parse(text, inventory);
        inventory.Complete(fileName);
        return inventory;
    }

    public static Inventory ParseYaml(string text, string fileName)
    {
        var inventory = new Inventory(fileName);
        YamlInventoryParser.Parse(text, inventory);
        inventory.Complete(fileName);
        return inventory;
    }

    /// <summary>Reads one inventory file into this inventory, named <paramref name="path"/> in messages.</summary>
    internal void Parse(string path, string fullPath)
    {
        string text;
        try
        {
            text = File.ReadAllText(fullPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InventoryException(path, null, $"cannot read the inventory: {e.Message}", e);
        }
        FileName = path;
        if (LooksLikeYaml(path, text))
        {
            YamlInventoryParser.Parse(text, this);
        }
        else
        {
            IniInventoryParser.Parse(text, this);
        }
    }

    internal bool FindDeclaredHost(string name) => _hostVars.ContainsKey(name);

    public TargetHost? FindHost(string name) => _byName.GetValueOrDefault(name);

    /// <summary>
    /// The hosts of a group and of all its descendants in Ansible's order (Group.get_hosts): the group's own hosts as
    /// listed, then its children's in the order they are listed, then the grandchildren's, level by level.
    /// </summary>
    public IReadOnlyList<TargetHost> HostsOf(string group)
    {
        if (_hostsOf.TryGetValue(group, out var cached))
        {
            return cached;
        }
        var start = _groups[group];
        var ordered = new List<InventoryGroup> { start };
        ordered.AddRange(start.Children.Select(c => _groups[c]));
        var seen = new HashSet<string>(ordered.Select(g => g.Name), StringComparer.Ordinal);
        var layer = ordered.ToList();
        while (layer.Count > 0)
        {
            // Ansible walks each level as a set, so the order of grandchildren under different children depends on
            // Python's string hashing there; here it is the order the children are listed in.
            var next = new List<InventoryGroup>();
            foreach (var child in layer.SelectMany(g => g.Children).Where(c => !seen.Contains(c)).Distinct(StringComparer.Ordinal))
            {
                next.Add(_groups[child]);
            }
            seen.UnionWith(next.Select(g => g.Name));
            ordered.AddRange(next);
            layer = next;
        }
        var names = new HashSet<string>(StringComparer.Ordinal);
        List<TargetHost> hosts = [.. ordered.SelectMany(g => g.Hosts).Where(names.Add).Select(h => _byName[h])];
        _hostsOf[group] = hosts;
        return hosts;
    }

    /// <summary>Ansible's names for this machine (C.LOCALHOST): a pattern naming one of them always finds a host.</summary>
    public static bool IsLocalhostName(string name) => name is "localhost" or "127.0.0.1" or "::1";

    /// <summary>
    /// Ansible's implicit localhost: the inventory's own localhost (or 127.0.0.1, ::1) if it has one, else a host of
    /// that name reached by a local context, with all's variables. It is in no group, so <c>all</c> leaves it out.
    /// </summary>
    public TargetHost ImplicitLocalhost(string name)
    {
        if (_hostOrder.FirstOrDefault(IsLocalhostName) is { } own)
        {
            return _byName[own];
        }
        if (_implicitLocalhost is null)
        {
            // Ansible gives it ansible_connection=local as a host variable: -e may still override it, -c not.
            var vars = Variables(name, [AllGroup], new Dictionary<string, string>(StringComparer.Ordinal) { ["ansible_connection"] = "local" });
            _implicitLocalhost = Resolve(name, vars);
        }
        return _implicitLocalhost;
    }

    internal InventoryGroup Group(string name)
    {
        if (!_groups.TryGetValue(name, out var group))
        {
            _groups[name] = group = new InventoryGroup(name);
        }
        return group;
    }

    internal bool HasGroup(string name) => _groups.ContainsKey(name);

    internal void AddHost(string host, string group)
    {
        if (!_hostVars.ContainsKey(host))
        {
            _hostOrder.Add(host);
            _hostVars[host] = new Dictionary<string, string>(StringComparer.Ordinal);
        }
        Group(group).AddHost(host);
    }

    internal void SetHostVar(string host, string name, string value) => _hostVars[host][name] = value;

    private static bool LooksLikeYaml(string path, string text)
    {
        var extension = Path.GetExtension(path).ToLowerInvariant();
        if (extension is ".yml" or ".yaml" or ".json")
        {
            return true;
        }
        if (extension == ".ini")
        {
            return false;
        }
        var first = text.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0 && l[0] is not ('#' or ';'));
        return first is not null && (first.StartsWith("---", StringComparison.Ordinal) || first[0] == '{' || YamlGroupLine().IsMatch(first));
    }

    internal void Complete(string fileName)
    {
        FileName = fileName;
        foreach (var group in _groups.Values)
        {
            if (group.Children.Contains(AllGroup))
            {
                throw new InventoryException(FileName, null, $"group {group.Name} lists all as a child; all is the group of every host and has no parent");
            }
        }
        var parents = _groups.Keys.ToDictionary(g => g, _ => new List<string>(), StringComparer.Ordinal);
        foreach (var group in _groups.Values)
        {
            foreach (var child in group.Children)
            {
                parents[child].Add(group.Name);
            }
        }
        // As in Ansible, a group nobody lists as a child is a child of all.
        foreach (var (name, list) in parents)
        {
            if (name != AllGroup && list.Count == 0)
            {
                list.Add(AllGroup);
                _groups[AllGroup].AddChild(name);
            }
        }
        var depths = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var name in _groups.Keys)
        {
            _groups[name].Depth = Depth(name, parents, depths, []);
        }

        var ancestors = _groups.Keys.ToDictionary(g => g, g => Ancestors(g, parents), StringComparer.Ordinal);
        var ungrouped = _groups[UngroupedGroup];
        foreach (var host in _hostOrder)
        {
            var own = _groups.Values.Where(g => g.Hosts.Contains(host) && g.Name is not (AllGroup or UngroupedGroup)).ToList();
            // Ansible's reconciliation: ungrouped holds exactly the hosts in no group but all.
            if (own.Count == 0)
            {
                ungrouped.AddHost(host);
                own.Add(ungrouped);
            }
            else
            {
                ungrouped.RemoveHost(host);
            }
            _memberships[host] = [.. own.SelectMany(g => ancestors[g.Name]), AllGroup];
        }

        _priorities = _groups.Values.ToDictionary(g => g.Name, Priority, StringComparer.Ordinal);
        foreach (var host in _hostOrder)
        {
            var vars = Variables(host, _memberships[host], _hostVars[host]);
            var target = Resolve(host, vars);
            _hosts.Add(target);
            _byName[host] = target;
        }
    }

    /// <summary>
    /// A host's variables in Ansible's precedence: all's, then its other groups' (shallow to deep, then by
    /// ansible_group_priority and name), then group_vars/all and group_vars/GROUP beside each source, then its own,
    /// then host_vars/HOST beside each source; the later wins.
    /// </summary>
    private Dictionary<string, string> Variables(string host, IEnumerable<string> memberships, IReadOnlyDictionary<string, string> own)
    {
        var vars = new Dictionary<string, string>(Defaults, StringComparer.Ordinal);
        void Merge(IEnumerable<(string Name, string Value)> more)
        {
            foreach (var (key, value) in more)
            {
                vars[key] = value;
            }
        }
        var order = memberships
            .OrderBy(g => _groups[g].Depth)
            .ThenBy(g => _priorities![g])
            .ThenBy(g => g, StringComparer.Ordinal)
            .ToList();
        foreach (var group in order)
        {
            Merge(_groups[group].Vars.Select(p => (p.Key, p.Value)));
        }
        foreach (var directory in VariableDirectories)
        {
            Merge(VariableFile(directory, "group_vars", AllGroup));
        }
        foreach (var directory in VariableDirectories)
        {
            foreach (var group in order.Where(g => g != AllGroup))
            {
                Merge(VariableFile(directory, "group_vars", group));
            }
        }
        Merge(own.Select(p => (p.Key, p.Value)));
        foreach (var directory in VariableDirectories)
        {
            Merge(VariableFile(directory, "host_vars", host));
        }
        Merge(ExtraVars.Select(p => (p.Key, p.Value)));
        return vars;
    }

    private IEnumerable<(string Name, string Value)> VariableFile(string directory, string kind, string name)
    {
        var key = Path.Combine(directory, kind, name);
        if (!_variableFiles.TryGetValue(key, out var found))
        {
            var list = new List<(string, string)>();
            foreach (var file in InventorySources.VariableFiles(Path.Combine(directory, kind), name))
            {
                string text;
                try
                {
                    text = File.ReadAllText(file);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    throw new InventoryException(file, null, $"cannot read the variables: {e.Message}", e);
                }
                list.AddRange(YamlInventoryParser.ReadVariables(text, file));
            }
            _variableFiles[key] = found = list;
        }
        return found;
    }

    // A host econtext cannot reach (a connection plugin it lacks, a template it does not evaluate) is kept with the
    // reason, so it is refused only when a pattern selects it, and the rest of the inventory stays usable.
    private TargetHost Resolve(string host, Dictionary<string, string> vars)
    {
        try
        {
            return HostVariables.ToTargetHost(host, vars, FileName);
        }
        catch (InventoryException e)
        {
            return new TargetHost { Name = host, Vars = vars, Refusal = e.Message };
        }
    }

    private int Depth(string group, Dictionary<string, List<string>> parents, Dictionary<string, int> known, List<string> path)
    {
        if (group == AllGroup)
        {
            return 0;
        }
        if (known.TryGetValue(group, out var depth))
        {
            return depth;
        }
        if (path.Contains(group))
        {
            var cycle = string.Join(" → ", path.Skip(path.IndexOf(group)).Append(group));
            throw new InventoryException(FileName, null, $"groups {cycle} are each other's children; a group cannot contain itself");
        }
        path.Add(group);
        depth = 1 + parents[group].Max(p => Depth(p, parents, known, path));
        path.RemoveAt(path.Count - 1);
        return known[group] = depth;
    }

    private static HashSet<string> Ancestors(string group, Dictionary<string, List<string>> parents)
    {
        var found = new HashSet<string>(StringComparer.Ordinal) { group };
        var todo = new Stack<string>([group]);
        while (todo.TryPop(out var current))
        {
            foreach (var parent in parents[current].Where(found.Add))
            {
                todo.Push(parent);
            }
        }
        return found;
    }

    private int Priority(InventoryGroup group)
    {
        if (!group.Vars.TryGetValue("ansible_group_priority", out var text))
        {
            return 1;
        }
        return int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var priority) ? priority
            : throw new InventoryException(FileName, null, $"group {group.Name} has ansible_group_priority \"{text}\"; it must be a whole number (default 1)");
    }

    // A YAML inventory opens with a group name and a colon (usually "all:"); no INI line looks like that.
    [GeneratedRegex(@"^[^\s\[\]=#;:]+:\s*(#.*)?$")]
    private static partial Regex YamlGroupLine();
}
