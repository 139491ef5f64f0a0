using System.Text.RegularExpressions;

namespace Econtext.Cli.Targets;

/// <summary>
/// The Jinja people put in inventories that needs no Jinja: <c>{{ name }}</c> where name is
/// <c>inventory_hostname</c>, <c>inventory_hostname_short</c> or another of the host's variables (itself rendered the
/// same way). Anything more (filters, lookups, expressions, <c>{% %}</c>) is not evaluated, and the message says which.
/// </summary>
internal static partial class SimpleTemplates
{
    private const int MaxDepth = 20;

    /// <summary>True for a value with Jinja markup in it.</summary>
    public static bool IsTemplate(string value) =>
        value.Contains("{{", StringComparison.Ordinal) || value.Contains("{%", StringComparison.Ordinal) || value.Contains("{#", StringComparison.Ordinal);

    /// <summary>The value rendered, or null with <paramref name="problem"/> saying why it cannot be.</summary>
    public static string? Render(string value, string host, IReadOnlyDictionary<string, string> vars, out string? problem) =>
        Render(value, host, vars, 0, out problem);

    private static string? Render(string value, string host, IReadOnlyDictionary<string, string> vars, int depth, out string? problem)
    {
        problem = null;
        if (!IsTemplate(value))
        {
            return value;
        }
        if (depth > MaxDepth)
        {
            problem = "its variables refer to each other in a loop";
            return null;
        }
        string? failure = null;
        var rendered = Reference().Replace(value, match =>
        {
            var name = match.Groups[1].Value;
            string? text = name switch
            {
                "inventory_hostname" => host,
                "inventory_hostname_short" => host.Split('.')[0],
                _ when vars.TryGetValue(name, out var other) => Render(other, host, vars, depth + 1, out failure),
                _ => null,
            };
            if (text is null)
            {
                failure ??= $"{name} is not a variable of this host";
                return match.Value;
            }
            return text;
        });
        if (failure is not null)
        {
            problem = failure;
            return null;
        }
        if (IsTemplate(rendered))
        {
            problem = "econtext evaluates only {{ variable }} (inventory_hostname, inventory_hostname_short or another host variable), not Jinja filters, lookups or expressions";
            return null;
        }
        return rendered;
    }

    [GeneratedRegex(@"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")]
    private static partial Regex Reference();
}
