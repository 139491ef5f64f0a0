using System.Globalization;

namespace Econtext.Cli.Targets;

/// <summary>
/// The defaults an Ansible user has already set, read as Ansible reads them: <c>ANSIBLE_*</c> environment variables
/// over <c>[defaults]</c> in the first ansible.cfg found ($ANSIBLE_CONFIG, ./ansible.cfg, ~/.ansible.cfg,
/// /etc/ansible/ansible.cfg). Only what was set counts: Ansible's own default inventory (/etc/ansible/hosts) is not
/// taken, so with nothing configured TARGETS stays a target list. A command-line option wins over both.
/// </summary>
internal sealed record AnsibleDefaults
{
    /// <summary>Inventory sources (<c>inventory</c>, <c>ANSIBLE_INVENTORY</c>): comma-separated, relative to the config file's directory when from it.</summary>
    public IReadOnlyList<string> Inventory { get; init; } = [];

    /// <summary><c>remote_user</c> / <c>ANSIBLE_REMOTE_USER</c>.</summary>
    public string? RemoteUser { get; init; }

    /// <summary><c>private_key_file</c> / <c>ANSIBLE_PRIVATE_KEY_FILE</c>, made absolute.</summary>
    public string? PrivateKeyFile { get; init; }

    /// <summary><c>forks</c> / <c>ANSIBLE_FORKS</c>.</summary>
    public int? Forks { get; init; }

    /// <summary><c>host_key_checking</c> / <c>ANSIBLE_HOST_KEY_CHECKING</c>: false turns ssh's check off.</summary>
    public bool? HostKeyChecking { get; init; }

    /// <summary><c>timeout</c> / <c>ANSIBLE_TIMEOUT</c>: seconds ssh may take to connect.</summary>
    public double? Timeout { get; init; }

    /// <summary>The config file read, for messages; null when none was found.</summary>
    public string? ConfigFile { get; init; }

    public static AnsibleDefaults Load(Func<string, string?> variable, string workingDirectory)
    {
        string? file = FindConfig(variable, workingDirectory);
        var values = file is null ? new Dictionary<string, string>() : ReadDefaults(file);
        string baseDirectory = file is null ? workingDirectory : Path.GetDirectoryName(file)!;
        string? Get(string key, string environment)
        {
            if (variable(environment) is { Length: > 0 } set)
            {
                return set;
            }
            return values.TryGetValue(key, out var configured) && configured.Length > 0 ? configured : null;
        }
        string Resolve(string path, bool fromEnvironment)
        {
            path = path.StartsWith("~/", StringComparison.Ordinal) && variable("HOME") is { } home ? Path.Combine(home, path[2..]) : path;
            return Path.GetFullPath(path, fromEnvironment ? workingDirectory : baseDirectory);
        }

        var inventoryFromEnvironment = variable("ANSIBLE_INVENTORY") is { Length: > 0 };
        var inventory = Get("inventory", "ANSIBLE_INVENTORY");
        var key = Get("private_key_file", "ANSIBLE_PRIVATE_KEY_FILE");
        var forks = Get("forks", "ANSIBLE_FORKS");
        var checking = Get("host_key_checking", "ANSIBLE_HOST_KEY_CHECKING");
        var timeout = Get("timeout", "ANSIBLE_TIMEOUT");
        return new AnsibleDefaults
        {
            ConfigFile = file,
            Inventory = inventory is null ? []
                : [.. inventory.Split(',').Select(p => p.Trim()).Where(p => p.Length > 0).Select(p => Resolve(p, inventoryFromEnvironment))],
            RemoteUser = Get("remote_user", "ANSIBLE_REMOTE_USER"),
            PrivateKeyFile = key is null ? null : Resolve(key, variable("ANSIBLE_PRIVATE_KEY_FILE") is { Length: > 0 }),
            Forks = forks is null ? null
                : int.TryParse(forks, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n
                : throw new InventoryException($"forks is \"{forks}\" (ANSIBLE_FORKS or {file}); it must be a whole number from 1"),
            HostKeyChecking = checking is null ? null
                : HostVariables.ParseBoolean(checking) ?? throw new InventoryException($"host_key_checking is \"{checking}\" (ANSIBLE_HOST_KEY_CHECKING or {file}); it must be true or false"),
            Timeout = timeout is null ? null
                : double.TryParse(timeout, NumberStyles.Float, CultureInfo.InvariantCulture, out var t) && t > 0 ? t
                : throw new InventoryException($"timeout is \"{timeout}\" (ANSIBLE_TIMEOUT or {file}); it must be a number of seconds"),
        };
    }

    // Ansible's find_ini_config_file, without its refusal of a world-writable ./ (it warns and skips it; so does this).
    private static string? FindConfig(Func<string, string?> variable, string workingDirectory)
    {
        if (variable("ANSIBLE_CONFIG") is { Length: > 0 } given)
        {
            var path = Path.GetFullPath(given, workingDirectory);
            path = Directory.Exists(path) ? Path.Combine(path, "ansible.cfg") : path;
            if (File.Exists(path))
            {
                return path;
            }
        }
        var here = Path.Combine(workingDirectory, "ansible.cfg");
        if (File.Exists(here) && !WorldWritable(workingDirectory))
        {
            return here;
        }
        if (variable("HOME") is { Length: > 0 } home && Path.Combine(home, ".ansible.cfg") is var user && File.Exists(user))
        {
            return user;
        }
        return File.Exists("/etc/ansible/ansible.cfg") ? "/etc/ansible/ansible.cfg" : null;
    }

    private static bool WorldWritable(string directory) =>
        !OperatingSystem.IsWindows() && (File.GetUnixFileMode(directory) & UnixFileMode.OtherWrite) != 0;

    // The [defaults] section of an INI file as Python's configparser reads it: key = value or key: value, # and ;
    // comment lines, an inline comment after " ;" or " #".
    private static Dictionary<string, string> ReadDefaults(string file)
    {
        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        string[] lines;
        try
        {
            lines = File.ReadAllLines(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InventoryException(file, null, $"cannot read the Ansible configuration: {e.Message}", e);
        }
        var inDefaults = false;
        foreach (var raw in lines)
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] is '#' or ';')
            {
                continue;
            }
            if (line[0] == '[')
            {
                inDefaults = line.TrimEnd(']').TrimStart('[').Trim() == "defaults";
                continue;
            }
            var split = line.IndexOfAny(['=', ':']);
            if (!inDefaults || split <= 0)
            {
                continue;
            }
            var value = line[(split + 1)..];
            foreach (var comment in (ReadOnlySpan<string>)[" ;", " #"])
            {
                var at = value.IndexOf(comment, StringComparison.Ordinal);
                value = at >= 0 ? value[..at] : value;
            }
            values[line[..split].Trim()] = value.Trim();
        }
        return values;
    }
}
