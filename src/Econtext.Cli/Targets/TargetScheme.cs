using System.Globalization;
using System.Text.RegularExpressions;

namespace Econtext.Cli.Targets;

/// <summary>
/// A target typed as <c>SCHEME://</c>: a container, chroot or namespace on this machine (or on the --via host),
/// for when there is no inventory to say <c>ansible_connection</c>.
/// <list type="bullet">
/// <item><c>podman://[USER@]CONTAINER</c>, <c>docker://[USER@]CONTAINER</c>, <c>buildah://[USER@]CONTAINER</c>:
/// a running container by name or id; USER is a name, a uid or uid:gid inside it.</item>
/// <item><c>chroot://[USER[:GROUP]@]DIR</c>: <c>chroot:///srv/jail</c>; the user is chroot's --userspec.</item>
/// <item><c>lxc://[UID[:GID]@]CONTAINER</c>: a running LXC container (lxc-attach, numeric ids).</item>
/// <item><c>nsenter://[UID[:GID]@]PID</c>: every namespace of process PID, with its root and working directory.</item>
/// </list>
/// </summary>
internal static partial class TargetScheme
{
    public const string Schemes = "podman://, docker://, buildah://, lxc://, chroot:// and nsenter://";

    public static TargetHost Parse(string text, string spec)
    {
        int separator = text.IndexOf("://", StringComparison.Ordinal);
        string scheme = text[..separator];
        string rest = text[(separator + 3)..];
        var connection = scheme switch
        {
            "podman" => TargetConnection.Podman,
            "docker" => TargetConnection.Docker,
            "buildah" => TargetConnection.Buildah,
            "chroot" => TargetConnection.Chroot,
            "lxc" => TargetConnection.Lxc,
            "nsenter" => TargetConnection.Nsenter,
            _ => (TargetConnection?)null,
        };
        string example = connection switch
        {
            TargetConnection.Chroot => "chroot:///srv/jail or chroot://nobody@/srv/jail",
            TargetConnection.Nsenter => "nsenter://1234 or nsenter://1000:1000@1234",
            TargetConnection.Lxc => "lxc://web or lxc://1000:1000@web",
            null => Schemes + ", e.g. podman://app@web",
            _ => $"{scheme}://web or {scheme}://app@web",
        };
        InventoryException Error(string problem) => new($"bad target \"{text}\" in \"{spec}\": {problem}; write {example}");

        if (connection is not { } kind)
        {
            throw Error($"econtext knows no \"{scheme}://\"");
        }

        // A user comes before an @ that precedes any '/', so a directory may hold an '@' (chroot:///srv/a@b).
        string? user = null;
        int at = rest.IndexOf('@', StringComparison.Ordinal);
        int slash = rest.IndexOf('/', StringComparison.Ordinal);
        if (at >= 0 && (slash < 0 || at < slash))
        {
            (user, rest) = (rest[..at], rest[(at + 1)..]);
            if (user.Length == 0)
            {
                throw Error("nothing before the @; give a user or leave the @ out");
            }
        }

        if (user is not null && (user.StartsWith('-') || user.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c is '/' or '@' or ',')))
        {
            throw Error($"the user \"{user}\" is not a user name or id");
        }

        // nsenter and lxc-attach set ids, not names.
        void NumericOnly(string program)
        {
            if (user is not null && !NumericUser().IsMatch(user))
            {
                throw Error($"{program} takes numeric ids: \"{user}\" is not UID or UID:GID");
            }
        }

        switch (kind)
        {
            case TargetConnection.Chroot:
                if (rest.Length == 0 || rest.StartsWith('-') || rest.Any(char.IsControl))
                {
                    throw Error(rest.Length == 0 ? "no directory" : $"\"{rest}\" is not a directory chroot can be given");
                }

                return new TargetHost { Name = text, Connection = kind, Address = rest, User = user };

            case TargetConnection.Nsenter:
                if (!int.TryParse(rest, NumberStyles.None, CultureInfo.InvariantCulture, out int pid) || pid < 1)
                {
                    throw Error(rest.Length == 0 ? "no process id" : $"\"{rest}\" is not a process id");
                }

                NumericOnly("nsenter");
                return new TargetHost { Name = text, Connection = kind, Pid = pid, User = user };

            default:
                if (!ContainerName().IsMatch(rest))
                {
                    throw Error(rest.Length == 0 ? "no container" : $"\"{rest}\" is not a container name or id (letters, digits, _ . -, not first -)");
                }

                if (kind == TargetConnection.Lxc)
                {
                    NumericOnly("lxc-attach");
                }

                return new TargetHost { Name = text, Connection = kind, Address = rest, User = user };
        }
    }

    /// <summary>Splits <c>UID[:GID]</c> into numbers (none for no user); the text was checked when it was parsed.</summary>
    public static (int? UserId, int? GroupId) NumericIds(string? user)
    {
        if (user is null)
        {
            return (null, null);
        }

        string[] parts = user.Split(':');
        return (int.Parse(parts[0], CultureInfo.InvariantCulture), parts.Length > 1 ? int.Parse(parts[1], CultureInfo.InvariantCulture) : null);
    }

    // podman's and docker's rule for a name; ids (hex) fit it too.
    [GeneratedRegex("^[a-zA-Z0-9][a-zA-Z0-9_.-]*$")]
    private static partial Regex ContainerName();

    [GeneratedRegex("^[0-9]{1,9}(:[0-9]{1,9})?$")]
    private static partial Regex NumericUser();
}
