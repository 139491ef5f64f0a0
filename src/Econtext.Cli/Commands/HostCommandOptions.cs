using System.CommandLine;
using Econtext.Cli.Output;
using Econtext.Cli.Running;
using Econtext.Cli.Targets;
using Spectre.Console;

namespace Econtext.Cli.Commands;

/// <summary>
/// The options every command that works on hosts shares (targets, inventory, ssh, become, forks, json),
/// added to a command and read back as <see cref="RunSettings"/>. The names follow Ansible's where
/// Ansible has one, so muscle memory carries over.
/// </summary>
internal sealed class HostCommandOptions
{
    private readonly Option<string[]> _inventory = new("--inventory", "-i")
    {
        Description = "An Ansible inventory (INI or YAML file, a directory of them, or hosts with a comma: -i 'web1,web2,'), with group_vars/ and host_vars/ beside it; may be repeated. "
            + "TARGETS is then a pattern over it, as in Ansible: all, web, web:&prod, web:!db, web*, web[0], web[1:]. Default pattern: all. "
            + "ansible_connection may be ssh, local, podman, docker, docker_api, buildah, chroot or nsenter (or their collection names).",
        HelpName = "source",
        AllowMultipleArgumentsPerToken = false,
    };

    private readonly Option<string[]> _extraVars = new("--extra-vars", "-e")
    {
        Description = "Variables for the inventory's hosts over all others, as Ansible's -e: name=value words, a YAML or JSON mapping, or @FILE. May be repeated; the later wins.",
        HelpName = "vars",
        AllowMultipleArgumentsPerToken = false,
    };

    private readonly Option<string?> _connection = new("--connection", "-c")
    {
        Description = "How to reach inventory hosts that set no ansible_connection (Ansible's -c): ssh, local, podman, docker, buildah, chroot, nsenter.",
        HelpName = "connection",
    };

    private readonly Option<string?> _limit = new("--limit", "-l")
    {
        Description = "Narrow the targets further with another pattern over the inventory (Ansible's --limit), e.g. -l 'web*:!web3'.",
        HelpName = "pattern",
    };

    private readonly Option<bool> _listHosts = new("--list-hosts")
    {
        Description = "Print the hosts the targets select, with how each is reached, and exit without connecting.",
    };

    private readonly Option<double?> _timeout = new("--timeout", "-T", "--connect-timeout")
    {
        Description = "Seconds to connect (Ansible's -T): ssh's ConnectTimeout, and the bound on starting a local, become or container context. "
            + "Default: your ssh configuration's ConnectTimeout for ssh, 30 s for the others.",
        HelpName = "seconds",
    };

    private readonly Option<double?> _hostTimeout = new("--host-timeout")
    {
        Description = "Seconds each host may take in all (connect and work); a host past it fails with \"timed out\" and its processes are stopped.",
        HelpName = "seconds",
    };

    private readonly Option<string?> _user = new("--user", "-u")
    {
        Description = "Login user for ssh hosts that do not name one (user@host or ansible_user); also the user inside podman, docker and buildah containers that name none, as Ansible's -u is.",
        HelpName = "user",
    };

    private readonly Option<string?> _privateKey = new("--private-key", "--key-file")
    {
        Description = "ssh private key for hosts that do not name one (ansible_ssh_private_key_file).",
        HelpName = "file",
    };

    private readonly Option<string?> _sshConfig = new("--ssh-config", "-F")
    {
        Description = "An ssh_config file instead of ~/.ssh/config (ssh -F).",
        HelpName = "file",
    };

    private readonly Option<string[]> _sshOption = new("--ssh-option", "-o")
    {
        Description = "An ssh option (ssh -o), e.g. -o Ciphers=aes128-gcm@openssh.com. May be repeated.",
        HelpName = "option",
        AllowMultipleArgumentsPerToken = false,
    };

    private readonly Option<double> _controlPersist = new("--control-persist")
    {
        Description = "Seconds an ssh master connection stays open after the last use, so the next command to the same host skips the ssh handshake (ControlMaster=auto, ControlPersist, as Ansible does). 0 turns it off; so does a ControlMaster or ControlPath given with -o.",
        HelpName = "seconds",
        DefaultValueFactory = _ => 60,
    };

    private readonly Option<string?> _via = new("--via")
    {
        Description = "Reach every ssh host through this one: a context starts there and runs ssh to the others with that host's own ssh configuration and keys; "
            + "containers, chroots and namespaces are then that host's (podman, docker, buildah, chroot or nsenter run there). An inventory host name, or [user@]host[:port].",
        HelpName = "host",
    };

    private readonly Option<bool> _become = new("--become", "-b")
    {
        Description = "Run as another user on each target (--become-user, default root), through --become-method, as Ansible's -b does.",
    };

    private readonly Option<string?> _becomeUser = new("--become-user")
    {
        Description = "The user --become runs as (default root, or the host's ansible_become_user).",
        HelpName = "user",
    };

    private readonly Option<string?> _becomeMethod = new("--become-method")
    {
        Description = "How to become the user: sudo (default), su or doas.",
        HelpName = "method",
    };

    private readonly Option<string?> _becomePasswordFile = new("--become-password-file")
    {
        Description = "A file whose first line is the password sudo, su or doas asks for (ansible_become_password otherwise).",
        HelpName = "file",
    };

    private readonly Option<bool> _askBecomePassword = new("--ask-become-pass", "-K")
    {
        Description = "Ask for the become password on the terminal before connecting.",
    };

    private readonly Option<bool> _askPassword = new("--ask-pass", "-k")
    {
        Description = "Ask for the ssh login password on the terminal before connecting (for hosts without a key).",
    };

    private readonly Option<bool> _verbose = new("--verbose", "-v", "-vv", "-vvv", "-vvvv")
    {
        Description = "Show on stderr the ssh command line each connection runs (as Ansible's -vvv does).",
    };

    private readonly Option<int> _forks = new("--forks", "-f")
    {
        Description = "How many hosts to work on at once. Contexts are cheap, so the default is high.",
        HelpName = "n",
        DefaultValueFactory = _ => 100,
    };

    private readonly Option<string?> _hostKeys = new("--host-key-checking")
    {
        Description = "yes: the host key must be known; accept-new: add unknown keys, refuse changed ones; no: no check (throwaway hosts only). Default: your ssh configuration's.",
        HelpName = "policy",
    };

    private readonly Option<string?> _dotnet = new("--dotnet")
    {
        Description = "The dotnet host for local contexts; by default it is searched for.",
        HelpName = "path",
    };

    private readonly Option<bool> _json = new("--json")
    {
        Description = "Write one JSON object per host to stdout (as each host finishes) instead of text; the tally goes to stderr.",
    };

    public HostCommandOptions()
    {
        _becomeMethod.AcceptOnlyFromAmong("sudo", "su", "doas");
        _hostKeys.AcceptOnlyFromAmong("yes", "accept-new", "no");
        _forks.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() < 1)
            {
                result.AddError("--forks must be at least 1.");
            }
        });
        _timeout.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<double?>() is <= 0 or double.NaN)
            {
                result.AddError("--timeout must be a positive number of seconds.");
            }
        });
        _hostTimeout.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<double?>() is <= 0 or double.NaN)
            {
                result.AddError("--host-timeout must be a positive number of seconds.");
            }
        });
    }

    public void AddTo(Command command)
    {
        foreach (Option option in (Option[])[_inventory, _extraVars, _connection, _limit, _listHosts, _timeout, _hostTimeout, _user, _privateKey, _sshConfig, _sshOption, _controlPersist, _via, _become, _becomeUser, _becomeMethod,
                     _becomePasswordFile, _askBecomePassword, _askPassword, _verbose, _forks, _hostKeys, _dotnet, _json])
        {
            command.Options.Add(option);
        }
    }

    /// <summary>Resolves the targets (command line or inventory pattern) and every option; throws <see cref="UsageException"/> on bad input.</summary>
    public RunSettings Read(ParseResult parseResult, string? targets)
    {
        // What an Ansible user configured (ANSIBLE_* over ansible.cfg's [defaults]) fills in what the command line leaves out.
        AnsibleDefaults ansible = AnsibleDefaults.Load(CliSession.Current.Variable, CliSession.Current.WorkingDirectory);
        string[] sources = parseResult.GetValue(_inventory) is { Length: > 0 } given ? given : [.. ansible.Inventory];
        // Read once: the targets, --limit and --via may all look into it.
        Dictionary<string, string> extraVars = InventorySources.ExtraVariables(parseResult.GetValue(_extraVars) ?? [], CliSession.Current.FullPath);
        Dictionary<string, string> defaults = parseResult.GetValue(_connection) is string connection ? new() { ["ansible_connection"] = connection } : [];
        if (sources.Length == 0 && (extraVars.Count > 0 || defaults.Count > 0))
        {
            throw new UsageException("-e and -c apply to an inventory's hosts; give one with -i (a host list works too: -i 'web1,web2,').");
        }

        Inventory? inventory = sources.Length == 0 ? null : InventorySources.Load(sources, CliSession.Current.FullPath, extraVars, defaults);
        var warnings = new List<string>(inventory?.Warnings ?? []);
        IReadOnlyList<TargetHost> hosts;
        try
        {
            hosts = TargetList.Resolve(targets, inventory, warnings);
        }
        catch (InventoryException) when (targets is not null && parseResult.GetValue(_inventory) is not { Length: > 0 } && extraVars.Count == 0 && defaults.Count == 0)
        {
            // The inventory only came from ANSIBLE_INVENTORY or ansible.cfg and TARGETS names none of it: a target
            // list typed as before (deploy@web1:2222) keeps working.
            (hosts, inventory) = (TargetList.Parse(targets), null);
            warnings.Clear();
        }

        if (parseResult.GetValue(_limit) is string limit)
        {
            if (inventory is null)
            {
                throw new UsageException($"--limit narrows an inventory's hosts; give one with -i, e.g. econtext exec -i hosts.ini all -l '{limit}' -- uptime");
            }

            List<string> terms = HostPattern.LimitTerms(limit, CliSession.Current.FullPath);
            HashSet<string> allowed = [.. HostPattern.Evaluate(inventory, terms, limit, warnings).Select(h => h.Name)];
            hosts = [.. hosts.Where(h => allowed.Contains(h.Name))];
            if (hosts.Count == 0)
            {
                throw new UsageException($"--limit '{limit}' leaves none of the {targets ?? "all"} hosts.");
            }
        }

        foreach (string warning in warnings.Distinct())
        {
            // Ansible's words, so a typo in a union (web:dbb) is seen rather than silently dropped.
            CliSession.Current.Error.WriteLine($"[WARNING]: {warning}");
        }

        TargetHost? via = null;
        if (parseResult.GetValue(_via) is string viaSpec)
        {
            via = inventory?.FindHost(viaSpec)
                ?? TargetList.Parse(viaSpec).Single();
            if (via.Refusal is string refusal)
            {
                throw new UsageException($"--via {viaSpec}: {refusal}");
            }

            if (via.IsLocal)
            {
                throw new UsageException("--via local makes no difference: ssh already runs on this machine. Name an ssh host, e.g. --via deploy@bastion.");
            }

            if (via.Connection != TargetConnection.Ssh)
            {
                throw new UsageException($"--via {viaSpec} is reached by {via.Connection.ToString().ToLowerInvariant()}, not ssh; --via takes an ssh host, e.g. --via deploy@bastion, and the targets may be containers there: --via bastion podman://web.");
            }
        }

        return new RunSettings
        {
            Hosts = hosts,
            Via = via,
            SshPassword = parseResult.GetValue(_askPassword) ? CliSession.Current.ReadPassword("SSH password: ") : null,
            Become = ReadBecome(parseResult),
            Verbose = parseResult.GetValue(_verbose),
            User = parseResult.GetValue(_user) ?? ansible.RemoteUser,
            IdentityFile = parseResult.GetValue(_privateKey) is string key ? CliSession.Current.FullPath(key) : ansible.PrivateKeyFile,
            SshConfigFile = parseResult.GetValue(_sshConfig) is string config ? CliSession.Current.FullPath(config) : null,
            SshOptions = parseResult.GetValue(_sshOption) ?? [],
            ControlPersist = TimeSpan.FromSeconds(Math.Max(0, parseResult.GetValue(_controlPersist))),
            HostKeyPolicy = parseResult.GetValue(_hostKeys) switch
            {
                "yes" => HostKeyPolicy.Enforce,
                "accept-new" => HostKeyPolicy.AcceptNew,
                "no" => HostKeyPolicy.Ignore,
                _ => ansible.HostKeyChecking == false ? HostKeyPolicy.Ignore : null,
            },
            Forks = parseResult.GetResult(_forks) is { Implicit: false } ? parseResult.GetValue(_forks) : ansible.Forks ?? parseResult.GetValue(_forks),

            // -T, else ansible.cfg's timeout; with neither, ssh's own configuration decides (ConnectTimeout is not passed).
            ConnectTimeout = (parseResult.GetValue(_timeout) ?? ansible.Timeout) is double connect ? TimeSpan.FromSeconds(connect) : RunSettings.DefaultConnectTimeout,
            SshConnectTimeoutFromConfig = parseResult.GetValue(_timeout) is null && ansible.Timeout is null,
            DotnetPath = parseResult.GetValue(_dotnet) is string dotnet && dotnet.Contains('/', StringComparison.Ordinal) ? CliSession.Current.FullPath(dotnet) : parseResult.GetValue(_dotnet),
            Json = parseResult.GetValue(_json),
            ListHostsOnly = parseResult.GetValue(_listHosts),
            HostTimeout = parseResult.GetValue(_hostTimeout) is double seconds ? TimeSpan.FromSeconds(seconds) : null,
        };
    }

    /// <summary>The display for a run: JSON lines, a live table on a terminal, or plain lines.</summary>
    public static IRunView View(RunSettings settings, bool streamsOutput)
    {
        if (settings.Json)
        {
            return new JsonLinesView(CliSession.Current.Out, CliSession.Current.Error);
        }

        IAnsiConsole console = CliSession.Current.Console;
        bool terminal = CliSession.Current.OutputIsTerminal && console.Profile.Capabilities.Interactive;
        return terminal && !streamsOutput ? new LiveTableView(console) : new PlainLinesView(console, showEachHost: true);
    }

    private BecomeSettings ReadBecome(ParseResult parseResult)
    {
        bool enabled = parseResult.GetValue(_become);
        string? password = null;
        if (parseResult.GetValue(_becomePasswordFile) is string file)
        {
            try
            {
                password = File.ReadLines(CliSession.Current.FullPath(file)).FirstOrDefault() ?? string.Empty;
            }
            catch (IOException ex)
            {
                throw new UsageException($"--become-password-file {file}: {ex.Message}");
            }
            catch (UnauthorizedAccessException ex)
            {
                throw new UsageException($"--become-password-file {file}: {ex.Message}");
            }
        }
        else if (parseResult.GetValue(_askBecomePassword))
        {
            password = CliSession.Current.ReadPassword("BECOME password: ");
        }

        return new BecomeSettings(enabled, parseResult.GetValue(_becomeUser), parseResult.GetValue(_becomeMethod), password);
    }
}
