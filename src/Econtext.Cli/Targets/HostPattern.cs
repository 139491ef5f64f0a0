using System.Text;
using System.Text.RegularExpressions;

namespace Econtext.Cli.Targets;

/// <summary>
/// Ansible host patterns over an inventory: names of hosts and groups, <c>all</c> or <c>*</c>, wildcards,
/// <c>~regex</c>, unions separated by commas or colons, <c>&amp;group</c> intersections and <c>!group</c> exclusions.
/// </summary>
internal static class HostPattern
{
    private static readonly TimeSpan RegexTimeout = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The hosts the pattern selects, in inventory order. As in Ansible, unions apply first in the order written,
    /// then intersections, then exclusions; a pattern of only intersections and exclusions starts from all.
    /// </summary>
    /// <exception cref="InventoryException">The pattern is malformed or selects no host.</exception>
    public static IReadOnlyList<TargetHost> Select(Inventory inventory, string pattern)
    {
        var terms = SplitTerms(pattern);
        if (terms.Exists(t => t is "!" or "&"))
        {
            throw new InventoryException($"the host pattern \"{pattern}\" has a ! or & with no group or host after it");
        }
        var unions = terms.Where(t => t[0] is not ('&' or '!')).DefaultIfEmpty("all");
        var selected = new HashSet<string>(StringComparer.Ordinal);
        foreach (var term in unions)
        {
            selected.UnionWith(Match(inventory, term));
        }
        foreach (var term in terms.Where(t => t[0] == '&'))
        {
            selected.IntersectWith(Match(inventory, term[1..]));
        }
        foreach (var term in terms.Where(t => t[0] == '!'))
        {
            selected.ExceptWith(Match(inventory, term[1..]));
        }
        var hosts = inventory.Hosts.Where(h => selected.Contains(h.Name)).ToList();
        if (hosts.Count == 0)
        {
            var groups = inventory.GroupNames.Order(StringComparer.Ordinal).ToList();
            var shown = string.Join(", ", groups.Take(10)) + (groups.Count > 10 ? $" and {groups.Count - 10} more" : "");
            throw new InventoryException(inventory.FileName, null,
                $"the host pattern \"{pattern}\" matched no hosts ({inventory.Hosts.Count} in the inventory); its groups are {shown}");
        }
        return hosts;
    }

    // Ansible's split_host_pattern: commas if there are any, otherwise colons outside brackets.
    private static List<string> SplitTerms(string pattern)
    {
        IEnumerable<string> terms;
        if (pattern.Contains(',', StringComparison.Ordinal))
        {
            terms = pattern.Split(',');
        }
        else
        {
            var list = new List<string>();
            var (start, depth) = (0, 0);
            for (var i = 0; i <= pattern.Length; i++)
            {
                if (i == pattern.Length || (pattern[i] == ':' && depth == 0))
                {
                    list.Add(pattern[start..i]);
                    start = i + 1;
                }
                else
                {
                    depth += pattern[i] switch { '[' => 1, ']' when depth > 0 => -1, _ => 0 };
                }
            }
            terms = list;
        }
        return [.. terms.Select(t => t.Trim()).Where(t => t.Length > 0)];
    }

    private static IEnumerable<string> Match(Inventory inventory, string term)
    {
        if (term is "all" or "*")
        {
            return inventory.Hosts.Select(h => h.Name);
        }
        Regex regex;
        try
        {
            regex = term[0] == '~'
                ? new Regex("^(?:" + term[1..] + ")", RegexOptions.CultureInvariant, RegexTimeout)
                : new Regex(Glob(term), RegexOptions.CultureInvariant, RegexTimeout);
        }
        catch (ArgumentException e)
        {
            throw new InventoryException(inventory.FileName, null, $"\"{term}\" is not a valid regular expression: {e.Message}", e);
        }
        var groups = inventory.GroupNames.Where(g => regex.IsMatch(g)).ToList();
        var hosts = groups.SelectMany(g => inventory.HostsOf(g)).Select(h => h.Name);
        // Like Ansible: a plain name that names a group means the group; hosts are searched when no group
        // matched, or when the term is a regex, a wildcard or has a dot (a domain name).
        if (groups.Count == 0 || term[0] == '~' || term.AsSpan().IndexOfAny(".?*[") >= 0)
        {
            hosts = hosts.Concat(inventory.Hosts.Select(h => h.Name).Where(h => regex.IsMatch(h)));
        }
        return hosts;
    }

    // Python's fnmatch.translate, which Ansible uses: * ? [seq] [!seq], anchored at both ends.
    private static string Glob(string pattern)
    {
        var regex = new StringBuilder("^");
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (c == '*')
            {
                regex.Append(".*");
            }
            else if (c == '?')
            {
                regex.Append('.');
            }
            else if (c == '[' && ClassEnd(pattern, i) is var end and > 0)
            {
                var set = pattern[(i + 1)..end].Replace("\\", "\\\\", StringComparison.Ordinal).Replace("[", "\\[", StringComparison.Ordinal);
                regex.Append('[').Append(set[0] == '!' ? "^" + set[1..] : set[0] == '^' ? "\\" + set : set).Append(']');
                i = end;
            }
            else
            {
                regex.Append(Regex.Escape(c.ToString()));
            }
        }
        return regex.Append(@"\z").ToString();
    }

    // Where a [ class closes, or -1; a ] right after [ or [! belongs to the class.
    private static int ClassEnd(string pattern, int open)
    {
        var j = open + 1;
        if (j < pattern.Length && pattern[j] == '!')
        {
            j++;
        }
        if (j < pattern.Length && pattern[j] == ']')
        {
            j++;
        }
        return pattern.IndexOf(']', j);
    }
}
