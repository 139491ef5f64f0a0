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

        if (!options.UseSshConfigConnectTimeout)
        {
            Option("ConnectTimeout=" + Math.Max(1, (int)Math.Ceiling(options.ConnectTimeout.TotalSeconds)).ToString(CultureInfo.InvariantCulture));
        }

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
    /// single-quoted word with no quote, '!', backslash pair or line break inside: every shell reads
    /// that word the same way. Stage 0 is written to be such a word, and then runs as it is; any other
    /// script (a path with a backslash or '!' in the options, say) is sent in base64 for sh to decode,
    /// which costs a subshell and a base64 process per connection (about 15 ms of CPU here).
    /// </summary>
    public static string PortableCommand(string stage0) =>
        IsPortableWord(stage0)
            ? "sh -c '" + stage0 + "'"
            : "sh -c 'eval \"$(echo " + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(stage0)) + "|base64 -d)\"'";

    /// <summary>
    /// True when single quotes around <paramref name="text"/> make one literal word in sh, bash, zsh,
    /// fish and csh alike: printable ASCII only, no single quote, no '!' (csh history), and no
    /// backslash before a backslash or at the end (fish unescapes \\ and \' inside single quotes).
    /// </summary>
    public static bool IsPortableWord(string text)
    {
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c is < ' ' or > '~' or '\'' or '!' || (c == '\\' && (i + 1 == text.Length || text[i + 1] == '\\')))
            {
                return false;
            }
        }

        return true;
    }

    private static string ExpandHome(string path) =>
        path.StartsWith("~/", StringComparison.Ordinal)
            ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), path[2..])
            : path;
}
