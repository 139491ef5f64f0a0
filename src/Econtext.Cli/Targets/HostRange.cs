using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Econtext.Cli.Targets;

/// <summary>
/// An inventory host entry as Ansible reads it: a name with optional <c>:port</c> and optional ranges such as
/// <c>web[01:03].example.com</c> or <c>db-[a:c]</c>, which stand for several hosts.
/// </summary>
internal static class HostRange
{
    // Ansible's string.ascii_letters: an alphabetic range may run from a lower-case letter into upper case.
    private const string Letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

    /// <summary>Splits off a port and expands ranges; the port stays text so the host variable check reports it.</summary>
    /// <exception cref="FormatException">A malformed range or address, in words fit for an error message.</exception>
    public static (IReadOnlyList<string> Names, string? Port) Parse(string entry)
    {
        var (name, port) = SplitPort(entry);
        var names = new List<string>();
        Expand(name, names);
        return (names, port);
    }

    /// <summary>True for <c>[v6addr]</c>: brackets that hold an IPv6 address rather than a range.</summary>
    public static bool IsBracketedIPv6(string text, out string address, out string rest)
    {
        address = rest = "";
        var close = text.IndexOf(']', StringComparison.Ordinal);
        if (text.Length == 0 || text[0] != '[' || close < 0 || !IsIPv6(text[1..close]))
        {
            return false;
        }
        address = text[1..close];
        rest = text[(close + 1)..];
        return true;
    }

    public static bool IsIPv6(string text) =>
        text.Contains(':', StringComparison.Ordinal)
        && IPAddress.TryParse(text, out var ip)
        && ip.AddressFamily == AddressFamily.InterNetworkV6;

    private static (string Name, string? Port) SplitPort(string entry)
    {
        if (IsBracketedIPv6(entry, out var address, out var rest))
        {
            return rest.Length == 0 ? (address, null)
                : rest[0] == ':' && rest.Length > 1 ? (address, rest[1..])
                : throw new FormatException($"\"{entry}\" has \"{rest}\" after the IPv6 address; write [address]:port");
        }
        if (IsIPv6(entry))
        {
            return (entry, null);
        }
        // The port's colon is the last one outside brackets; colons inside brackets belong to ranges.
        int depth = 0, colon = -1;
        for (var i = 0; i < entry.Length; i++)
        {
            depth += entry[i] switch { '[' => 1, ']' => -1, _ => 0 };
            if (entry[i] == ':' && depth == 0)
            {
                if (colon >= 0)
                {
                    throw new FormatException($"\"{entry}\" has more than one colon; a host is name or name:port");
                }
                colon = i;
            }
        }
        return colon < 0 ? (entry, null)
            : colon == 0 ? throw new FormatException($"\"{entry}\" has no host name before the port")
            : (entry[..colon], entry[(colon + 1)..]);
    }

    private static void Expand(string name, List<string> into)
    {
        // Ansible's detect_range: any '[' starts a range, which must close (an unclosed one is an error there too,
        // not a literal host name).
        var open = name.IndexOf('[', StringComparison.Ordinal);
        var close = name.IndexOf(']', StringComparison.Ordinal);
        if (open < 0)
        {
            into.Add(name);
            return;
        }
        if (close < open)
        {
            throw new FormatException($"\"{name}\" has a [ that no ] closes; a range looks like [01:20], [a:f] or [1:20:2] (begin:end:step)");
        }
        var (head, range, tail) = (name[..open], name[(open + 1)..close], name[(close + 1)..]);
        var help = $"\"{name}\": a range looks like [01:20], [a:f] or [1:20:2] (begin:end:step)";
        var bounds = range.Split(':');
        if (bounds.Length is not (2 or 3) || bounds[1].Length == 0)
        {
            throw new FormatException(help);
        }
        var (begin, end) = (bounds[0].Length == 0 ? "0" : bounds[0], bounds[1]);
        var step = 1;
        if (bounds.Length == 3 && (!int.TryParse(bounds[2], NumberStyles.None, CultureInfo.InvariantCulture, out step) || step < 1))
        {
            throw new FormatException(help + "; the step must be a positive number");
        }
        if (begin.Length == 1 && end.Length == 1 && Letters.Contains(begin[0], StringComparison.Ordinal) && Letters.Contains(end[0], StringComparison.Ordinal))
        {
            int first = Letters.IndexOf(begin[0], StringComparison.Ordinal), last = Letters.IndexOf(end[0], StringComparison.Ordinal);
            if (first > last)
            {
                throw new FormatException(help + "; the range must not run backwards");
            }
            for (var i = first; i <= last; i += step)
            {
                Expand(head + Letters[i] + tail, into);
            }
            return;
        }
        if (!int.TryParse(begin, NumberStyles.None, CultureInfo.InvariantCulture, out var from)
            || !int.TryParse(end, NumberStyles.None, CultureInfo.InvariantCulture, out var to))
        {
            throw new FormatException(help + "; both ends must be numbers or both single letters");
        }
        if (from > to)
        {
            throw new FormatException(help + "; the range must not run backwards");
        }
        // A leading zero asks for zero padding to the width of the bounds, which must then agree.
        var width = begin.Length > 1 && begin[0] == '0' ? begin.Length : 0;
        if (width > 0 && end.Length != width)
        {
            throw new FormatException(help + "; with zero padding both ends must have the same number of digits");
        }
        for (long i = from; i <= to; i += step)
        {
            Expand(head + i.ToString(CultureInfo.InvariantCulture).PadLeft(width, '0') + tail, into);
        }
    }
}
