using System.Text;
using Econtext.Cli.Targets;

namespace Econtext.Cli.Running;

/// <summary><c>--list-hosts</c>: each selected host and how it would be reached, with no connection made.</summary>
internal static class HostList
{
    public static void Write(RunSettings settings, TextWriter output)
    {
        output.WriteLine($"hosts ({settings.Hosts.Count}):");
        foreach (TargetHost host in settings.Hosts)
        {
            output.WriteLine("  " + Describe(host, settings));
        }
    }

    private static string Describe(TargetHost host, RunSettings settings)
    {
        var text = new StringBuilder(host.Name);
        if (host.IsLocal)
        {
            text.Append(" (local context)");
        }
        else
        {
            text.Append(" (").Append(How(host, settings));
            if (settings.Via is TargetHost via)
            {
                text.Append(" via ").Append(via.Name);
            }

            text.Append(')');
        }

        if (settings.Become.Enabled || host.Become)
        {
            (string method, string user, _) = TargetConnector.BecomeOf(settings, host);
            text.Append(" as ").Append(user).Append(" by ").Append(method);
        }

        return text.ToString();
    }

    /// <summary>The transport and what it is given, e.g. <c>ssh deploy@web1:2222</c>, <c>podman app@web</c>, <c>chroot /srv/jail</c>.</summary>
    private static string How(TargetHost host, RunSettings settings)
    {
        switch (host.Connection)
        {
            case TargetConnection.Nsenter:
                return "nsenter pid " + host.Pid + (host.User is null ? "" : " as " + host.User);
            case TargetConnection.Chroot:
                return "chroot " + host.ConnectAddress + (host.User is null ? "" : " as " + host.User);
            default:
                string? user = host.User ?? settings.User;
                string how = host.Connection.ToString().ToLowerInvariant() + " " + (user is null ? "" : user + "@") + host.ConnectAddress;
                return host.Port is int port && host.Connection == TargetConnection.Ssh ? how + ":" + port : how;
        }
    }
}
