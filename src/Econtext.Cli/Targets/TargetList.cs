using System.Globalization;

namespace Econtext.Cli.Targets;

/// <summary>
/// The TARGETS argument without an inventory: <c>[user@]host[:port]</c> entries separated by commas, IPv6 in
/// brackets (<c>root@[::1]:2222</c>), <c>local</c> for this machine without ssh, and containers, chroots and
/// namespaces by scheme (see <see cref="TargetScheme"/>): <c>podman://[user@]name</c>, <c>docker://</c>,
/// <c>buildah://</c>, <c>chroot://[user@]/dir</c>, <c>nsenter://[uid[:gid]@]pid</c>.
/// </summary>
internal static class TargetList
{
    public const string LocalName = "local";

    private const string Example = "targets look like deploy@web1:2222,web2 (an IPv6 address in brackets: root@[::1]:2222; this machine without ssh: local; "
        + "a container, chroot or namespace: podman://app@web, docker://web, buildah://web-working-container, chroot:///srv/jail, nsenter://1234)";

    /// <summary>
    /// No targets and no inventory: this machine. With an inventory: TARGETS is a host pattern over it (all by
    /// default). Otherwise: TARGETS is a target list.
    /// </summary>
    public static IReadOnlyList<TargetHost> Resolve(string? spec, Inventory? inventory, ICollection<string>? warnings = null) => (spec, inventory) switch
    {
        (null, null) => [new TargetHost { Name = LocalName, Connection = TargetConnection.Local }],
        (_, not null) => HostPattern.Select(inventory, spec ?? "all", warnings),
        _ => Parse(spec!),
    };

    /// <summary>Parses a comma-separated target list; each target is named by its text as typed. Repeats are dropped.</summary>
    public static IReadOnlyList<TargetHost> Parse(string spec)
    {
        var hosts = new List<TargetHost>();
        foreach (var part in spec.Split(','))
        {
            var host = ParseOne(part.Trim(), spec);
            if (!hosts.Exists(h => h.Name == host.Name))
            {
                hosts.Add(host);
            }
        }
        return hosts;
    }

    private static TargetHost ParseOne(string text, string spec)
    {
        InventoryException Error(string problem) => new($"bad target \"{text}\" in \"{spec}\": {problem}; {Example}");

        if (text.Length == 0)
        {
            throw new InventoryException($"the target list \"{spec}\" has an empty entry; {Example}");
        }
        if (text == LocalName)
        {
            return new TargetHost { Name = LocalName, Connection = TargetConnection.Local };
        }
        if (text.Contains("://", StringComparison.Ordinal))
        {
            return TargetScheme.Parse(text, spec);
        }
        string? user = null;
        var rest = text;
        var at = text.IndexOf('@', StringComparison.Ordinal);
        if (at >= 0)
        {
            (user, rest) = (text[..at], text[(at + 1)..]);
            if (user.Length == 0)
            {
                throw Error("nothing before the @; give a user name or leave the @ out");
            }
        }
        string host;
        string? portText = null;
        if (rest.StartsWith('['))
        {
            if (!HostRange.IsBracketedIPv6(rest, out host, out var after))
            {
                throw Error("brackets are for IPv6 addresses only");
            }
            if (after.Length > 0)
            {
                portText = after[0] == ':' ? after[1..] : throw Error($"\"{after}\" follows the IPv6 address; only :port may");
            }
        }
        else if (HostRange.IsIPv6(rest))
        {
            // A bare IPv6 address has colons of its own, so it cannot carry a port.
            host = rest;
        }
        else
        {
            var colon = rest.IndexOf(':', StringComparison.Ordinal);
            (host, portText) = colon < 0 ? (rest, null) : (rest[..colon], rest[(colon + 1)..]);
        }

        if (host.Length == 0)
        {
            throw Error("no host name");
        }
        if (host == LocalName)
        {
            throw Error("local means this machine without ssh and takes no user or port; to ssh to this machine, write localhost");
        }
        foreach (var (word, what) in (ReadOnlySpan<(string?, string)>)[(host, "host"), (user, "user")])
        {
            if (word is null)
            {
                continue;
            }
            if (word.StartsWith('-'))
            {
                throw Error($"the {what} starts with '-', which ssh would take as an option");
            }
            if (word.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c is '@' or '[' or ']' or '/' or '\\'))
            {
                throw Error($"the {what} \"{word}\" has a character no {what} name has");
            }
            if (what == "host" && word.Contains(':', StringComparison.Ordinal) && !HostRange.IsIPv6(word))
            {
                throw Error("more than one colon; a target is [user@]host[:port]");
            }
        }
        int? port = null;
        if (portText is not null)
        {
            port = int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var p) && p is >= 1 and <= 65535 ? p
                : throw Error($"the port \"{portText}\" is not a number from 1 to 65535");
        }
        return new TargetHost { Name = text, Address = host, User = user, Port = port };
    }
}
