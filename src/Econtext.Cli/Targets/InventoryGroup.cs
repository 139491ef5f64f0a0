namespace Econtext.Cli.Targets;

/// <summary>One inventory group as written: its own hosts, child groups and variables (not its descendants').</summary>
internal sealed class InventoryGroup(string name)
{
    private readonly List<string> _hosts = [];
    private readonly List<string> _children = [];
    private readonly Dictionary<string, string> _vars = new(StringComparer.Ordinal);

    public string Name { get; } = name;

    /// <summary>Hosts listed directly in the group, first-seen order.</summary>
    public IReadOnlyList<string> Hosts => _hosts;

    public IReadOnlyList<string> Children => _children;

    public IReadOnlyDictionary<string, string> Vars => _vars;

    /// <summary>
    /// The longest path from <c>all</c> (0) down to this group, set when the inventory is complete: a child group's
    /// variables override its parents' because it is deeper.
    /// </summary>
    public int Depth { get; internal set; }

    internal void AddHost(string host)
    {
        if (!_hosts.Contains(host))
        {
            _hosts.Add(host);
        }
    }

    internal void RemoveHost(string host) => _hosts.Remove(host);

    internal void AddChild(string group)
    {
        if (!_children.Contains(group))
        {
            _children.Add(group);
        }
    }

    internal void SetVar(string name, string value) => _vars[name] = value;
}
