using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Econtext.Cli.Output;

/// <summary>
/// <c>facts --filter</c>: globs over the facts' --json names ('mem*', 'interfaces', 'distribution*'),
/// commas between several, case ignored; as Ansible's setup filter=ansible_*mem*.
/// </summary>
internal sealed class FactsFilter
{
    private readonly Regex[] _patterns;

    private FactsFilter(Regex[] patterns) => _patterns = patterns;

    /// <summary>The filter of <paramref name="text"/>; null (everything) when there is none.</summary>
    public static FactsFilter? Parse(string? text)
    {
        string[] globs = text?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];
        return globs.Length == 0
            ? null
            : new FactsFilter([.. globs.Select(g => new Regex("^" + Regex.Escape(g).Replace("\\*", ".*", StringComparison.Ordinal).Replace("\\?", ".", StringComparison.Ordinal) + "$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant))]);
    }

    public bool Matches(string name) => _patterns.Any(p => p.IsMatch(name));

    /// <summary>True when any of a table row's facts matches.</summary>
    public bool MatchesAny(IEnumerable<string> names) => names.Any(Matches);

    /// <summary>The object with only the matching names.</summary>
    public JsonObject Apply(JsonObject facts)
    {
        foreach (string name in facts.Select(p => p.Key).Where(n => !Matches(n)).ToList())
        {
            facts.Remove(name);
        }

        return facts;
    }
}
