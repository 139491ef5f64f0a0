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
            string? user = host.User ?? settings.User;
            text.Append(" (ssh ").Append(user is null ? "" : user + "@").Append(host.ConnectAddress);
            if (host.Port is int port)
            {
                text.Append(':').Append(port);
            }

            if (settings.Via is TargetHost via)
            {
                text.Append(" via ").Append(via.Name);
            }

            text.Append(')');
        }

        if (settings.Become.Enabled || host.Become)
        {
            text.Append(" as ").Append(settings.Become.User ?? host.BecomeUser ?? "root")
                .Append(" by ").Append(settings.Become.Method ?? host.BecomeMethod ?? "sudo");
        }

        return text.ToString();
    }
}
