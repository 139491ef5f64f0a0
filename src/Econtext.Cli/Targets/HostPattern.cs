using System.Text;
using System.Text.RegularExpressions;

namespace Econtext.Cli.Targets;

/// <summary>
/// Ansible host patterns over an inventory: names of hosts and groups, <c>all</c> or <c>*</c>, wildcards,
/// <c>~regex</c>, unions separated by commas or colons, <c>&amp;group</c> intersections and <c>!group</c> exclusions.
/// </summary>
internal static partial class HostPattern
{
    private static readonly TimeSpan RegexTimeout = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The hosts the pattern selects, in Ansible's order: unions in the order written (each group's own hosts, then
    /// its children's), then intersections, then exclusions; a pattern of only intersections and exclusions starts
    /// from all. A term that matches nothing is skipped with a warning in <paramref name="warnings"/>, as Ansible's
    /// "Could not match supplied host pattern, ignoring".
    /// </summary>
    /// <exception cref="InventoryException">The pattern is malformed or selects no host.</exception>
    public static IReadOnlyList<TargetHost> Select(Inventory inventory, string pattern, ICollection<string>? warnings = null)
    {
        var hosts = Evaluate(inventory, SplitTerms(pattern), pattern, warnings);
        if (hosts.Count == 0)
        {
            var groups = inventory.GroupNames.Order(StringComparer.Ordinal).ToList();
            var shown = string.Join(", ", groups.Take(10)) + (groups.Count > 10 ? $" and {groups.Count - 10} more" : "");
            throw new InventoryException(inventory.FileName, null,
                $"the host pattern \"{pattern}\" matched no hosts ({inventory.Hosts.Count} in the inventory); its groups are {shown}");
        }
        return hosts;
    }

    /// <summary>
    /// Ansible's <c>_evaluate_patterns</c> over terms already split: the hosts they select, possibly none. A term
    /// naming an inventory host is that host; <c>localhost</c> (or 127.0.0.1, ::1) not in the inventory is the
    /// implicit local host.
    /// </summary>
    public static List<TargetHost> Evaluate(Inventory inventory, IReadOnlyList<string> terms, string pattern, ICollection<string>? warnings)
    {
        if (terms.Any(t => t is "!" or "&"))
        {
            throw new InventoryException($"the host pattern \"{pattern}\" has a ! or & with no group or host after it");
        }
        var regular = terms.Where(t => t[0] is not ('&' or '!')).DefaultIfEmpty("all");
        var ordered = regular.Concat(terms.Where(t => t[0] == '&')).Concat(terms.Where(t => t[0] == '!'));
        var hosts = new List<TargetHost>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var term in ordered)
        {
            if (inventory.FindHost(term) is { } host)
            {
                if (names.Add(host.Name))
                {
                    hosts.Add(host);
                }
                continue;
            }
            var matched = MatchOne(inventory, term, warnings);
            if (term[0] is '!' or '&')
            {
                var set = matched.Select(h => h.Name).ToHashSet(StringComparer.Ordinal);
                var keep = term[0] == '&';
                hosts.RemoveAll(h => set.Contains(h.Name) != keep);
                names = hosts.Select(h => h.Name).ToHashSet(StringComparer.Ordinal);
            }
            else
            {
                hosts.AddRange(matched.Where(h => names.Add(h.Name)));
            }
        }
        return hosts;
    }

    /// <summary>
    /// Ansible's <c>split_host_pattern</c>: commas if there are any, else one term when the whole is an address
    /// (an IPv6 address has colons of its own), else the runs of anything but white space, ':' and brackets, or
    /// of complete bracketed expressions (so <c>web[0:1]</c> stays whole and an unclosed '[' is dropped, as there).
    /// </summary>
    public static List<string> SplitTerms(string pattern)
    {
        IEnumerable<string> terms = pattern.Contains(',', StringComparison.Ordinal) ? pattern.Split(',')
            : HostRange.IsIPv6(pattern.Trim()) ? [pattern]
            : ColonTerm().Matches(pattern).Select(m => m.Value);
        return [.. terms.Select(t => t.Trim()).Where(t => t.Length > 0)];
    }

    /// <summary>
    /// The terms of a <c>--limit</c> (Ansible's subset): the pattern's terms, where a term <c>@FILE</c> stands for the
    /// lines of that file (a retry file), read through <paramref name="fullPath"/>.
    /// </summary>
    public static List<string> LimitTerms(string limit, Func<string, string> fullPath)
    {
        var terms = new List<string>();
        foreach (var term in SplitTerms(limit))
        {
            if (term[0] != '@')
            {
                terms.Add(term);
                continue;
            }
            var file = term[1..];
            try
            {
                terms.AddRange(File.ReadAllText(fullPath(file)).Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new InventoryException($"--limit {term}: cannot read the limit file {file} ({e.Message}); after @ comes a file of host patterns, one a line, such as a retry file");
            }
        }
        return terms;
    }

    // Ansible's _match_one_pattern: the matches of a term, then its subscript.
    private static IReadOnlyList<TargetHost> MatchOne(Inventory inventory, string term, ICollection<string>? warnings)
    {
        if (term[0] is '&' or '!')
        {
            term = term[1..];
        }
        var subscript = term[0] == '~' ? null : Subscript().Match(term);
        if (subscript is { Success: true })
        {
            term = subscript.Groups[1].Value;
        }
        var hosts = Enumerate(inventory, term, warnings);
        if (subscript is not { Success: true })
        {
            return hosts;
        }
        int Index(int i) => i < 0 ? hosts.Count + i : i;
        if (subscript.Groups[2].Success)
        {
            // One host: Python's hosts[i], negative from the end; out of range selects none.
            var i = Index(int.Parse(subscript.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture));
            return i >= 0 && i < hosts.Count ? [hosts[i]] : [];
        }
        if (subscript.Groups[4].Value == "-")
        {
            warnings?.Add("Use [x:y] inclusive subscripts instead of [x-y] which has been removed");
        }
        var start = int.Parse(subscript.Groups[3].Value, System.Globalization.CultureInfo.InvariantCulture);
        var end = subscript.Groups[5].Value.Length == 0 ? -1 : int.Parse(subscript.Groups[5].Value, System.Globalization.CultureInfo.InvariantCulture);
        if (end == 0)
        {
            // Ansible reads an end of 0 as "no end" and takes the single host at start.
            return start < hosts.Count ? [hosts[start]] : [];
        }
        end = end == -1 ? hosts.Count - 1 : end;
        // Python's hosts[start:end + 1], which clamps to the list.
        var last = Math.Min(end, hosts.Count - 1);
        return start <= last ? hosts.GetRange(start, last - start + 1) : [];
    }

    // Ansible's _enumerate_matches: the hosts of every matching group (in the inventory's group order), then, when no
    // group matched or the term is a regex, a wildcard or has a dot, the matching hosts; duplicates stay (a subscript
    // counts them).
    private static List<TargetHost> Enumerate(Inventory inventory, string term, ICollection<string>? warnings)
    {
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
        var hosts = groups.SelectMany(inventory.HostsOf).ToList();
        if (groups.Count == 0 || term[0] == '~' || term.AsSpan().IndexOfAny(".?*[") >= 0)
        {
            hosts.AddRange(inventory.Hosts.Where(h => regex.IsMatch(h.Name)));
        }
        if (hosts.Count == 0 && Inventory.IsLocalhostName(term))
        {
            hosts.Add(inventory.ImplicitLocalhost(term));
        }
        if (hosts.Count == 0 && groups.Count == 0 && term != Inventory.AllGroup)
        {
            warnings?.Add($"Could not match supplied host pattern, ignoring: {term}");
        }
        return hosts;
    }

    [GeneratedRegex(@"(?:[^\s:\[\]]|\[[^\]]*\])+")]
    private static partial Regex ColonTerm();

    // Ansible's PATTERN_WITH_SUBSCRIPT: a pattern ending in [i], [-i], [x:y], [x:] (or the old [x-y]).
    [GeneratedRegex(@"^(.+)\[(?:(-?[0-9]+)|([0-9]+)([:-])([0-9]*))\]$")]
    private static partial Regex Subscript();

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
