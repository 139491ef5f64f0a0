using System.Globalization;

namespace Econtext.Transports;

/// <summary>The ssh command line for <see cref="SshOptions"/>.</summary>
internal static class SshCommand
{
    /// <summary>Arguments for the ssh client; the user's own arguments come first, so theirs win.</summary>
    public static List<string> Arguments(SshOptions options, string remoteCommand)
    {
        var args = new List<string>(options.SshArgs);
        void Option(string value)
        {
            args.Add("-o");
            args.Add(value);
        }

        if (options.Password is null)
        {
            Option("BatchMode=yes");
        }
        else
        {
            Option("BatchMode=no");
            Option("NumberOfPasswordPrompts=1");
        }

        Option("ConnectTimeout=" + Math.Max(1, (int)Math.Ceiling(options.ConnectTimeout.TotalSeconds)).ToString(CultureInfo.InvariantCulture));
        if (options.KeepAliveInterval > TimeSpan.Zero)
        {
            Option("ServerAliveInterval=" + Math.Max(1, (int)options.KeepAliveInterval.TotalSeconds).ToString(CultureInfo.InvariantCulture));
            Option("ServerAliveCountMax=3");
        }

        Option(options.Compression ? "Compression=yes" : "Compression=no");
        switch (options.HostKeyPolicy)
        {
            case HostKeyPolicy.Enforce:
                Option("StrictHostKeyChecking=yes");
                break;
            case HostKeyPolicy.AcceptNew:
                Option("StrictHostKeyChecking=accept-new");
                break;
            case HostKeyPolicy.Ignore:
                Option("StrictHostKeyChecking=no");
                Option("UserKnownHostsFile=/dev/null");
                break;
        }

        if (options.Port is { } port)
        {
            args.Add("-p");
            args.Add(port.ToString(CultureInfo.InvariantCulture));
        }

        if (options.User is { } user)
        {
            args.Add("-l");
            args.Add(user);
        }

        if (options.IdentityFile is { } identity)
        {
            args.Add("-i");
            args.Add(ExpandHome(identity));
        }

        args.Add("-T");
        args.Add("--");
        args.Add(options.Host);
        args.Add(remoteCommand);
        return args;
    }

    public static string DefaultName(SshOptions options) =>
        "ssh:" + (options.User is null ? string.Empty : options.User + "@") + options.Host
        + (options.Port is { } port ? ":" + port.ToString(CultureInfo.InvariantCulture) : string.Empty);

    /// <summary>
    /// The command the remote login shell runs. It may be fish or csh, so the text it parses is one
    /// single-quoted word with no quote, backslash or '!' inside (the same in every shell); sh then
    /// decodes stage 0 from base64 and runs it.
    /// </summary>
    public static string PortableCommand(string stage0) =>
        "sh -c 'eval \"$(echo " + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(stage0)) + "|base64 -d)\"'";

    private static string ExpandHome(string path) =>
        path.StartsWith("~/", StringComparison.Ordinal)
            ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), path[2..])
            : path;
}
