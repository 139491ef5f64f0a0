using System.Globalization;

namespace Econtext.Cli.Targets;

/// <summary>Turns a host's variables, after precedence, into a <see cref="TargetHost"/>.</summary>
internal static class HostVariables
{
    /// <summary>The <c>ansible_connection</c> values econtext takes, for messages.</summary>
    public const string Supported = "ssh, local, podman, docker, docker_api, buildah, lxc, chroot and nsenter (also by their collection names, "
        + "e.g. containers.podman.podman, community.docker.docker, community.general.lxc, community.general.chroot, community.docker.nsenter)";

    // The variables econtext acts on. A template in one of these would otherwise reach ssh as literal text.
    private static readonly string[] Used =
    [
        "ansible_host", "ansible_ssh_host", "ansible_port", "ansible_ssh_port", "ansible_user", "ansible_ssh_user",
        "ansible_ssh_private_key_file", "ansible_private_key_file", "ansible_ssh_common_args", "ansible_ssh_extra_args",
        "ansible_become", "ansible_become_user", "ansible_become_method", "ansible_become_password",
        "ansible_become_pass", "ansible_connection", .. ContainerVariables.Used,
    ];

    public static TargetHost ToTargetHost(string name, IReadOnlyDictionary<string, string> vars, string file)
    {
        // The simple templates ({{ inventory_hostname }}, another variable) are rendered in what econtext reads; the
        // variables shown stay as written, as ansible-inventory shows them.
        var rendered = new Dictionary<string, string>(vars, StringComparer.Ordinal);
        var reader = new VariableReader(name, rendered, file);
        foreach (var key in Used)
        {
            if (vars.TryGetValue(key, out var value) && SimpleTemplates.IsTemplate(value))
            {
                rendered[key] = SimpleTemplates.Render(value, name, vars, out var problem)
                    ?? throw reader.Error($"{key} is \"{value}\", a Jinja template econtext cannot evaluate: {problem}; give the value itself");
            }
        }

        var plugin = reader.Get("ansible_connection");
        var connection = ParseConnection(plugin)
            ?? throw reader.Error($"ansible_connection is \"{plugin}\"; econtext supports {Supported}");

        var become = reader.Boolean("ansible_become") ?? false;
        var method = reader.Get("ansible_become_method")?.ToLowerInvariant() switch
        {
            null => null,
            var m and ("sudo" or "su" or "doas") => m,
            _ => throw reader.Error($"ansible_become_method is \"{reader.Get("ansible_become_method")}\"; econtext supports sudo, su and doas"),
        };

        var host = new TargetHost
        {
            Name = name,
            Connection = connection,
            Become = become,
            BecomeUser = reader.Get("ansible_become_user"),
            BecomeMethod = method,
            BecomePassword = reader.Get("ansible_become_password", "ansible_become_pass"),
            Vars = new Dictionary<string, string>(vars, StringComparer.Ordinal),
        };
        host = connection is TargetConnection.Ssh or TargetConnection.Local ? Ssh(host, reader) : ContainerVariables.Apply(host, connection, plugin!, reader);
        CheckNotOptions(host, reader.Error);
        return host;
    }

    /// <summary>The connection an <c>ansible_connection</c> value names (null: unset, so ssh); null for one econtext does not have.</summary>
    public static TargetConnection? ParseConnection(string? plugin) => plugin switch
    {
        null or "ssh" or "smart" or "paramiko" or "paramiko_ssh" or "ansible.builtin.ssh" or "ansible.builtin.paramiko_ssh" => TargetConnection.Ssh,
        "local" or "ansible.builtin.local" => TargetConnection.Local,
        "podman" or "containers.podman.podman" => TargetConnection.Podman,
        "docker" or "community.docker.docker" or "docker_api" or "community.docker.docker_api" => TargetConnection.Docker,
        "buildah" or "containers.podman.buildah" => TargetConnection.Buildah,
        "chroot" or "community.general.chroot" => TargetConnection.Chroot,
        "lxc" or "community.general.lxc" => TargetConnection.Lxc,
        "nsenter" or "community.docker.nsenter" => TargetConnection.Nsenter,
        _ => null,
    };

    /// <summary>
    /// A host name, container, directory or user that starts with '-' would be read by ssh, the engine or chroot as
    /// an option (ssh's -oProxyCommand=... runs a command), so it is refused wherever it came from.
    /// </summary>
    public static void CheckNotOptions(TargetHost host, Func<string, Exception?, InventoryException> error)
    {
        var (program, what) = host.Connection switch
        {
            TargetConnection.Local or TargetConnection.Nsenter => (null, null),
            TargetConnection.Ssh => ("ssh", "address"),
            TargetConnection.Chroot => ("chroot", "directory"),
            TargetConnection.Lxc => ("lxc-attach", "container"),
            var engine => (engine.ToString().ToLowerInvariant(), "container"),
        };
        if (program is null)
        {
            return;
        }

        foreach (var (word, role) in (ReadOnlySpan<(string?, string)>)[(host.ConnectAddress, what!), (host.User, "user")])
        {
            if (word?.StartsWith('-') == true)
            {
                throw error($"the {role} \"{word}\" starts with '-', which {program} would take as an option", null);
            }
        }
    }

    /// <summary>Ansible's booleans, case-insensitively; null for any other word.</summary>
    public static bool? ParseBoolean(string text) => text.ToLowerInvariant() switch
    {
        "yes" or "y" or "true" or "t" or "on" or "1" => true,
        "no" or "n" or "false" or "f" or "off" or "0" => false,
        _ => null,
    };

    /// <summary>
    /// The ssh plugin's variables. Where it lists two for one option the later wins, as Ansible resolves them:
    /// <c>ansible_ssh_host</c> over <c>ansible_host</c>, <c>ansible_ssh_port</c> over <c>ansible_port</c>,
    /// <c>ansible_ssh_user</c> over <c>ansible_user</c>.
    /// </summary>
    private static TargetHost Ssh(TargetHost host, VariableReader reader)
    {
        int? port = null;
        if (reader.Get("ansible_ssh_port", "ansible_port") is { } portText)
        {
            port = int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var p) && p is >= 1 and <= 65535 ? p
                : throw reader.Error($"the port is \"{portText}\"; ansible_port must be a number from 1 to 65535");
        }

        return host with
        {
            Address = reader.Get("ansible_ssh_host", "ansible_host"),
            Port = port,
            User = reader.Get("ansible_ssh_user", "ansible_user"),
            IdentityFile = reader.Get("ansible_ssh_private_key_file", "ansible_private_key_file"),
            SshArgs = [.. reader.Words("ansible_ssh_common_args"), .. reader.Words("ansible_ssh_extra_args")],
        };
    }
}
