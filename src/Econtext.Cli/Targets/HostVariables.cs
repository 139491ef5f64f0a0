using System.Globalization;

namespace Econtext.Cli.Targets;

/// <summary>Turns a host's variables, after precedence, into a <see cref="TargetHost"/>.</summary>
internal static class HostVariables
{
    // The variables econtext acts on. A template in one of these would otherwise reach ssh as literal text.
    private static readonly string[] Used =
    [
        "ansible_host", "ansible_ssh_host", "ansible_port", "ansible_ssh_port", "ansible_user", "ansible_ssh_user",
        "ansible_ssh_private_key_file", "ansible_private_key_file", "ansible_ssh_common_args", "ansible_ssh_extra_args",
        "ansible_become", "ansible_become_user", "ansible_become_method", "ansible_become_password",
        "ansible_become_pass", "ansible_connection",
    ];

    public static TargetHost ToTargetHost(string name, IReadOnlyDictionary<string, string> vars, string file)
    {
        InventoryException Error(string problem, Exception? inner = null) => new(file, null, $"host {name}: {problem}", inner);

        // Empty values (YAML's null, "key=" in INI) count as unset, as an undefined variable would.
        string? Get(params string[] keys) =>
            keys.Select(k => vars.GetValueOrDefault(k)).FirstOrDefault(v => !string.IsNullOrEmpty(v));

        foreach (var key in Used)
        {
            if (vars.TryGetValue(key, out var value) && (value.Contains("{{", StringComparison.Ordinal) || value.Contains("{%", StringComparison.Ordinal)))
            {
                throw Error($"{key} is \"{value}\", a Jinja template; econtext does not evaluate Jinja templates, so give the value itself");
            }
        }

        var isLocal = Get("ansible_connection") switch
        {
            null or "ssh" or "smart" or "paramiko" or "paramiko_ssh" or "ansible.builtin.ssh" or "ansible.builtin.paramiko_ssh" => false,
            "local" or "ansible.builtin.local" => true,
            var other => throw Error($"ansible_connection is \"{other}\"; econtext connects with ssh, or runs on this machine with local"),
        };

        int? port = null;
        if (Get("ansible_port", "ansible_ssh_port") is { } portText)
        {
            port = int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var p) && p is >= 1 and <= 65535 ? p
                : throw Error($"the port is \"{portText}\"; ansible_port must be a number from 1 to 65535");
        }

        var sshArgs = new List<string>();
        foreach (var key in (string[])["ansible_ssh_common_args", "ansible_ssh_extra_args"])
        {
            if (Get(key) is { } text)
            {
                try
                {
                    sshArgs.AddRange(ShellWords.Split(text));
                }
                catch (FormatException e)
                {
                    throw Error($"{key} cannot be split into words: {e.Message}", e);
                }
            }
        }

        var become = Get("ansible_become") is { } becomeText && (ParseBoolean(becomeText)
            ?? throw Error($"ansible_become is \"{becomeText}\"; it must be yes/no, true/false, on/off or 1/0"));

        var method = Get("ansible_become_method")?.ToLowerInvariant() switch
        {
            null => null,
            var m and ("sudo" or "su" or "doas") => m,
            _ => throw Error($"ansible_become_method is \"{Get("ansible_become_method")}\"; econtext supports sudo, su and doas"),
        };

        var host = new TargetHost
        {
            Name = name,
            IsLocal = isLocal,
            Address = Get("ansible_host", "ansible_ssh_host"),
            Port = port,
            User = Get("ansible_user", "ansible_ssh_user"),
            IdentityFile = Get("ansible_ssh_private_key_file", "ansible_private_key_file"),
            SshArgs = sshArgs,
            Become = become,
            BecomeUser = Get("ansible_become_user"),
            BecomeMethod = method,
            BecomePassword = Get("ansible_become_password", "ansible_become_pass"),
            Vars = new Dictionary<string, string>(vars, StringComparer.Ordinal),
        };
        // ssh would read a host or user that starts with '-' as an option (-oProxyCommand=... runs a command).
        foreach (var (word, what) in (ReadOnlySpan<(string?, string)>)[(host.ConnectAddress, "address"), (host.User, "user")])
        {
            if (!isLocal && word?.StartsWith('-') == true)
            {
                throw Error($"the {what} \"{word}\" starts with '-', which ssh would take as an option");
            }
        }
        return host;
    }

    /// <summary>Ansible's booleans, case-insensitively; null for any other word.</summary>
    public static bool? ParseBoolean(string text) => text.ToLowerInvariant() switch
    {
        "yes" or "y" or "true" or "t" or "on" or "1" => true,
        "no" or "n" or "false" or "f" or "off" or "0" => false,
        _ => null,
    };
}
