using System.Globalization;
using Econtext.Cli.Targets;

namespace Econtext.Cli.Running;

/// <summary>
/// Turns a <see cref="TargetHost"/> into a running context: local, ssh or a container, chroot or namespace (the
/// last two kinds through the via host when there is one), then become. Become runs inside what was reached,
/// as Ansible's become does with every connection: with a container host, sudo runs in the container.
/// </summary>
internal sealed class TargetConnector(Router router, RunSettings settings)
{
    private readonly SemaphoreSlim _viaLock = new(1, 1);
    private Task<Context>? _via;
    private string? _controlDirectory;

    public async Task<ConnectedHost> ConnectAsync(TargetHost host, CancellationToken cancellationToken)
    {
        Context? context = null;
        if (!host.IsLocal || !NeedsBecome(host))
        {
            Context? via = settings.Via is null || host.IsLocal ? null : await ViaAsync(cancellationToken).ConfigureAwait(false);
            context = await ConnectLoginAsync(host, via, cancellationToken).ConfigureAwait(false);
        }

        if (!NeedsBecome(host))
        {
            return new ConnectedHost(context!, null);
        }

        try
        {
            return new ConnectedHost(await BecomeAsync(host, context, cancellationToken).ConfigureAwait(false), context);
        }
        catch when (context is not null)
        {
            await new ConnectedHost(context, null).ShutdownAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Whether the host's work runs as another user (--become or the inventory's ansible_become).</summary>
    public bool NeedsBecome(TargetHost host) => settings.Become.Enabled || host.Become;

    /// <summary>
    /// The context the host is reached by, before become: local, ssh (from here or from <paramref name="via"/>),
    /// or a container, chroot or namespace. Not for a local host with become, where sudo, su or doas run straight
    /// from this process (a local context to run them from would be one process more).
    /// </summary>
    public async Task<Context> ConnectLoginAsync(TargetHost host, Context? via, CancellationToken cancellationToken)
    {
        if (host.IsLocal)
        {
            return await router.LocalAsync(
                new LocalOptions { Name = host.Name, DotnetPath = settings.DotnetPath, ConnectTimeout = settings.ConnectTimeout },
                cancellationToken).ConfigureAwait(false);
        }

        return host.Connection == TargetConnection.Ssh
            ? await router.SshAsync(Shown(Ssh(host, via)), cancellationToken).ConfigureAwait(false)
            : await ContainerTargets.ConnectAsync(router, settings, host, via, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The become method, user and password that apply to the host: as in Ansible, the inventory's method and
    /// user win over the command line's (ansible_become_user over --become-user); the password given here wins.
    /// </summary>
    public (string Method, string User, string? Password) BecomeOf(TargetHost host) => BecomeOf(settings, host);

    /// <inheritdoc cref="BecomeOf(TargetHost)"/>
    public static (string Method, string User, string? Password) BecomeOf(RunSettings settings, TargetHost host) =>
        (host.BecomeMethod ?? settings.Become.Method ?? "sudo", host.BecomeUser ?? settings.Become.User ?? "root", settings.Become.Password ?? host.BecomePassword);

    /// <summary>Runs sudo, su or doas in <paramref name="context"/> (or from this process for null).</summary>
    /// <exception cref="BecomeFailedException">sudo, su or doas did not start it: the host's task failed, it is not unreachable.</exception>
    public async Task<Context> BecomeAsync(TargetHost host, Context? context, CancellationToken cancellationToken)
    {
        (string method, string user, string? password) = BecomeOf(host);
        try
        {
            return await BecomeAsync(method, user, password, context, $"{host.Name}/{method}:{user}", cancellationToken).ConfigureAwait(false);
        }
        catch (ConnectionException ex)
        {
            throw new BecomeFailedException(ex);
        }
    }

    /// <summary>The --via host's ssh context, started from here.</summary>
    public Task<Context> ConnectViaAsync(CancellationToken cancellationToken) =>
        router.SshAsync(Shown(Ssh(settings.Via!, via: null)), cancellationToken);

    /// <summary>With -v, the ssh command line on stderr, as Ansible's "SSH: EXEC" line; the password never is on it.</summary>
    private SshOptions Shown(SshOptions ssh)
    {
        if (settings.Verbose)
        {
            string where = ssh.Via is null ? string.Empty : $" (run on {ssh.Via.Name})";
            CliSession.Current.Error.WriteLine($"<{ssh.Name}> SSH: EXEC{where} {string.Join(' ', ssh.CommandLine().Select(Quote))}");
        }

        return ssh;
    }

    private static string Quote(string word) =>
        word.Length > 0 && word.All(c => char.IsAsciiLetterOrDigit(c) || "@%+=:,./-_<>".Contains(c, StringComparison.Ordinal))
            ? word
            : "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private async Task<Context> BecomeAsync(string method, string user, string? password, Context? context, string name, CancellationToken cancellationToken) =>
        method switch
        {
            "sudo" => await router.SudoAsync(
                new SudoOptions { User = user, Password = password, Via = context, Name = name, ConnectTimeout = settings.ConnectTimeout },
                cancellationToken).ConfigureAwait(false),
            "su" => await router.SuAsync(
                new SuOptions { User = user, Password = password, Via = context, Name = name, ConnectTimeout = settings.ConnectTimeout },
                cancellationToken).ConfigureAwait(false),
            "doas" => await router.DoasAsync(
                new DoasOptions { User = user, Password = password, Via = context, Name = name, ConnectTimeout = settings.ConnectTimeout },
                cancellationToken).ConfigureAwait(false),
            _ => throw new ArgumentException($"{name}: become method '{method}' is not one econtext has; use sudo, su or doas."),
        };

    /// <summary>The via host is connected once, by the first host that needs it; its failure is every host's.</summary>
    private async Task<Context> ViaAsync(CancellationToken cancellationToken)
    {
        await _viaLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _via ??= ConnectViaAsync(CancellationToken.None);
        }
        finally
        {
            _viaLock.Release();
        }

        return await _via.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Where this user's ssh master sockets live (made 0700), or null when multiplexing is off: by
    /// --control-persist 0, or because the user chose their own with -o.
    /// </summary>
    private string? ControlDirectory()
    {
        if (settings.ControlPersist <= TimeSpan.Zero
            || settings.SshOptions.Any(o => o.StartsWith("ControlMaster", StringComparison.OrdinalIgnoreCase) || o.StartsWith("ControlPath", StringComparison.OrdinalIgnoreCase)))
        {
            return null;
        }

        if (_controlDirectory is null)
        {
            string root = CliSession.Current.Variable("XDG_RUNTIME_DIR") is { Length: > 0 } runtime
                ? Path.Combine(runtime, "econtext")
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "econtext");
            string directory = Path.Combine(root, "cp");

            // A socket path holds at most 107 bytes, and ssh adds 17 random characters to %C's 40 while
            // it sets the master up: past that, ssh refuses to connect at all, so go without.
            if (directory.Length + 1 + 40 + 17 > 100)
            {
                return null;
            }

            try
            {
                Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Without a private place for the sockets, connect without multiplexing rather than not at all.
                return null;
            }

            _controlDirectory = directory;
        }

        return _controlDirectory;
    }

    /// <summary>
    /// ssh from here, or from the via host. Files named on this machine (-F, the private key) only mean
    /// something to an ssh client that runs here; from the via host, ssh uses that host's own
    /// configuration and keys, as a user logged in there would.
    /// </summary>
    private SshOptions Ssh(TargetHost host, Context? via)
    {
        var args = new List<string>();
        if (via is null && settings.SshConfigFile is string config)
        {
            args.AddRange(["-F", config]);
        }

        foreach (string option in settings.SshOptions)
        {
            args.AddRange(["-o", option]);
        }

        if (via is null && ControlDirectory() is string controlDirectory)
        {
            args.AddRange([
                "-o", "ControlMaster=auto",
                "-o", string.Create(CultureInfo.InvariantCulture, $"ControlPersist={(int)settings.ControlPersist.TotalSeconds}s"),
                "-o", "ControlPath=" + Path.Combine(controlDirectory, "%C"),
            ]);
        }

        args.AddRange(host.SshArgs);
        return new SshOptions
        {
            Host = host.ConnectAddress,
            Port = host.Port,
            User = host.User ?? settings.User,
            IdentityFile = via is null ? (host.IdentityFile is string own ? CliSession.Current.FullPath(own) : settings.IdentityFile) : null,
            SshArgs = args,
            HostKeyPolicy = settings.HostKeyPolicy,
            ConnectTimeout = settings.ConnectTimeout,
            UseSshConfigConnectTimeout = settings.SshConnectTimeoutFromConfig,
            Password = settings.SshPassword,
            Name = via is null ? host.Name : $"{host.Name}@{via.Name}",
            Via = via,
        };
    }
}
