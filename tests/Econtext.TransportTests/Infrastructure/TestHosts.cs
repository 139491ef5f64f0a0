using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace Econtext.TransportTests.Infrastructure;

[CollectionDefinition(Name)]
public sealed class HostsCollection : ICollectionFixture<TestHosts>
{
    public const string Name = "hosts";
}

/// <summary>
/// The real components the transport tests run against, set up once per test run (as root) and
/// removed at the end, also when tests fail:
/// <list type="bullet">
/// <item>an OpenSSH sshd started with <c>-D -e -f</c> on a free 127.0.0.1 port, with its own ed25519
/// host key, config, pid file and log in <see cref="Dir"/>;</item>
/// <item>a client key, a private known_hosts holding the host key for <c>[127.0.0.1]:PORT</c>, and an
/// ssh_config (for <c>-F</c>) with a <c>Host ect-X</c> alias per test user;</item>
/// <item>test users (useradd -m; <c>ect</c> + a 4-character run id + a role letter), each with a
/// password (chpasswd) and most with the client key authorized;</item>
/// <item>a drop-in <c>/etc/sudoers.d/econtext-tt-RUNID</c> (checked with <c>visudo -cf</c>) and a marked
/// block of lines in <c>/etc/doas.conf</c> (the file is restored exactly at the end);</item>
/// <item>a chroot holding a small Debian userland (shells, coreutils, sed, grep, gzip, tar) but no .NET,
/// which sshd's ChrootDirectory puts one user into.</item>
/// </list>
/// Everything lives under <c>/var/lib/econtext-transport-tests/RUNID</c>, not /tmp: sshd's
/// ChrootDirectory demands that every component of the chroot's path be root-owned and not writable
/// by group or others, which /tmp (1777) is not. A run that died without cleaning up (its owner
/// process is gone) is swept away by the next run: its sshd killed, its users deleted, its sudoers
/// and doas.conf lines removed.
/// </summary>
public sealed class TestHosts : IAsyncLifetime
{
    public const string BaseDir = "/var/lib/econtext-transport-tests";
    public const string Sshd = "/usr/sbin/sshd";
    private const string GecosPrefix = "econtext transport test ";
    private const string DoasConf = "/etc/doas.conf";
    private const string SudoersPrefix = "/etc/sudoers.d/econtext-tt-";
    private static readonly TimeSpan SetupDeadline = TimeSpan.FromSeconds(30);

    private readonly List<TestUser> _users = [];
    private readonly List<string> _sshdLog = [];
    private Process? _sshd;
    private StreamWriter? _sshdLogFile;
    private int _knownHostsFiles;

    /// <summary>4 characters, [a-z0-9], unique among live runs on this machine.</summary>
    public string RunId { get; private set; } = string.Empty;

    /// <summary>This run's directory (root-owned 0755; the private keys in it are 0600).</summary>
    public string Dir { get; private set; } = string.Empty;

    /// <summary>The loopback port the private sshd listens on.</summary>
    public int Port { get; private set; }

    public string Address => "127.0.0.1";

    /// <summary>The private key authorized for every user with <see cref="TestUser.HasKey"/>.</summary>
    public string ClientKey => Path.Combine(Dir, "id_ed25519");

    /// <summary>A key authorized for nobody.</summary>
    public string WrongKey => Path.Combine(Dir, "wrong_ed25519");

    /// <summary>known_hosts with the server's host key for <c>[127.0.0.1]:PORT</c>.</summary>
    public string KnownHosts => Path.Combine(Dir, "known_hosts");

    /// <summary>An ssh_config for <c>ssh -F</c>: a <c>Host ect-X</c> alias per user, and isolation from root's own ssh setup.</summary>
    public string SshConfig => Path.Combine(Dir, "ssh_config");

    public string SshdConfig => Path.Combine(Dir, "sshd_config");

    public string ChrootDir => Path.Combine(Dir, "chroot");

    /// <summary>The server host key's fingerprint as ssh prints it, <c>SHA256:...</c>.</summary>
    public string HostKeyFingerprint { get; private set; } = string.Empty;

    /// <summary>"ssh-ed25519 AAAA..." of a key that is not the server's: for host key mismatches.</summary>
    public string OtherHostKey { get; private set; } = string.Empty;

    /// <summary>k: key login; sudo and doas to root without a password; root may doas to it. Holds a copy of the client key (for ssh hops).</summary>
    public TestUser Key { get; private set; } = null!;

    /// <summary>p: key login; sudo and doas need its password (no sudo timestamp caching).</summary>
    public TestUser SudoPassword { get; private set; } = null!;

    /// <summary>t: key login; sudo without a password but under <c>Defaults requiretty</c>.</summary>
    public TestUser Tty { get; private set; } = null!;

    /// <summary>r: key login; sudo under <c>Defaults requiretty</c> and with a password.</summary>
    public TestUser TtyPassword { get; private set; } = null!;

    /// <summary>n: key login; in neither sudoers nor doas.conf.</summary>
    public TestUser NotSudoer { get; private set; } = null!;

    /// <summary>w: password login only (no authorized_keys).</summary>
    public TestUser PasswordOnly { get; private set; } = null!;

    /// <summary>b: key login with an sshd Banner, and ~/.bashrc and ~/.profile that print lines on stdout and stderr.</summary>
    public TestUser Noisy { get; private set; } = null!;

    /// <summary>q: key login whose ~/.bashrc prints a terminal-title escape without a newline.</summary>
    public TestUser NoisyNoNewline { get; private set; } = null!;

    /// <summary>f: key login with fish as the login shell; null if fish is not installed.</summary>
    public TestUser? Fish { get; private set; }

    /// <summary>c: key login with tcsh (or csh) as the login shell; null if neither is installed.</summary>
    public TestUser? Csh { get; private set; }

    /// <summary>x: key login that sshd chroots (ChrootDirectory) into a tree with a shell and no .NET.</summary>
    public TestUser NoRuntime { get; private set; } = null!;

    public IReadOnlyList<TestUser> Users => _users;

    /// <summary>What the private sshd has logged (its stderr, -e), for failure messages.</summary>
    public IReadOnlyList<string> SshdLog
    {
        get
        {
            lock (_sshdLog)
            {
                return [.. _sshdLog];
            }
        }
    }

    /// <summary>Options for an ssh context as <paramref name="user"/> with the client key, isolated from root's ~/.ssh.</summary>
    public SshOptions Ssh(TestUser user, string? knownHosts = null, HostKeyPolicy? policy = HostKeyPolicy.Enforce) => new()
    {
        Host = Address,
        Port = Port,
        User = user.Name,
        IdentityFile = ClientKey,
        HostKeyPolicy = policy,
        SshArgs = ["-F", SshConfig, "-o", "UserKnownHostsFile=" + (knownHosts ?? KnownHosts)],
        ConnectTimeout = TimeSpan.FromSeconds(15),
    };

    /// <summary>A new known_hosts file in <see cref="Dir"/> with these lines.</summary>
    public string NewKnownHosts(params string[] lines)
    {
        string path = Path.Combine(Dir, $"known_hosts.{Interlocked.Increment(ref _knownHostsFiles)}");
        File.WriteAllText(path, lines.Length == 0 ? string.Empty : string.Join('\n', lines) + "\n");
        return path;
    }

    /// <summary>The known_hosts name of the private sshd: <c>[127.0.0.1]:PORT</c>.</summary>
    public string KnownHostsName => $"[{Address}]:{Port}";

    public string DescribeSshdLog() => "private sshd log (last lines):" + Environment.NewLine + Shell.Tail(SshdLog);

    public async Task InitializeAsync()
    {
        if (!Environment.IsPrivilegedProcess)
        {
            throw new InvalidOperationException("the transport tests set up users, sudoers and an sshd, and must run as root (CI does)");
        }

        string[] missing = new[] { Sshd, "/usr/bin/ssh", "/usr/bin/ssh-keygen", "/usr/bin/sudo", "/usr/sbin/visudo", "/usr/bin/doas", "/usr/sbin/useradd", "/usr/sbin/userdel", "/usr/sbin/chpasswd" }
            .Where(p => !File.Exists(p)).ToArray();
        if (missing.Length > 0)
        {
            throw new InvalidOperationException($"missing {string.Join(", ", missing)}: apt-get install -y openssh-server sudo doas (see .ci/packages)");
        }

        try
        {
            await SetUpAsync();
        }
        catch
        {
            await CleanUpAsync();
            throw;
        }
    }

    public Task DisposeAsync() => CleanUpAsync();

    private async Task SetUpAsync()
    {
        Directory.CreateDirectory(BaseDir);
        File.SetUnixFileMode(BaseDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);

        using (FileStream machineLock = await LockAsync())
        {
            await SweepStaleRunsAsync();
            do
            {
                RunId = RandomId();
            }
            while (Directory.Exists(Path.Combine(BaseDir, RunId)));

            Dir = Path.Combine(BaseDir, RunId);
            Directory.CreateDirectory(Dir);
            SetMode(Dir, "755");
            await RunOwner.RecordAsync(Dir);

            await CreateUsersAsync();
            await WriteSudoersAsync();
            await WriteDoasAsync();
        }

        await MakeKeysAsync();
        await AuthorizeAsync();
        await MakeChrootAsync();
        await StartSshdAsync();
        await WriteClientFilesAsync();
    }

    // ------------------------------------------------------------------------------------------------
    // Users

    private async Task CreateUsersAsync()
    {
        string? fish = new[] { "/usr/bin/fish", "/bin/fish" }.FirstOrDefault(File.Exists);
        string? csh = new[] { "/usr/bin/tcsh", "/bin/tcsh", "/usr/bin/csh", "/bin/csh" }.FirstOrDefault(File.Exists);

        Key = NewUser('k', "/bin/bash", hasKey: true);
        SudoPassword = NewUser('p', "/bin/bash", hasKey: true);
        Tty = NewUser('t', "/bin/bash", hasKey: true);
        TtyPassword = NewUser('r', "/bin/bash", hasKey: true);
        NotSudoer = NewUser('n', "/bin/bash", hasKey: true);
        PasswordOnly = NewUser('w', "/bin/bash", hasKey: false);
        Noisy = NewUser('b', "/bin/bash", hasKey: true);
        NoisyNoNewline = NewUser('q', "/bin/bash", hasKey: true);
        Fish = fish is null ? null : NewUser('f', fish, hasKey: true);
        Csh = csh is null ? null : NewUser('c', csh, hasKey: true);
        NoRuntime = NewUser('x', "/bin/bash", hasKey: true);

        // Recorded before useradd, so a crash part-way leaves a list the next run's sweep can use.
        await File.WriteAllLinesAsync(Path.Combine(Dir, "users"), _users.Select(u => u.Name));
        foreach (TestUser user in _users)
        {
            await Shell.CheckAsync("/usr/sbin/useradd", "-m", "-s", user.Shell, "-c", GecosPrefix + RunId, user.Name);
            string id = (await Shell.CheckAsync("/usr/bin/id", "-u", user.Name)).StandardOutput.Trim();
            user.Uid = int.Parse(id, CultureInfo.InvariantCulture);
        }

        // Every account gets a password: with UsePAM no, sshd refuses a locked account ("!" in
        // /etc/shadow) even for key logins.
        await Shell.CheckAsync("/usr/sbin/chpasswd", [], string.Concat(_users.Select(u => $"{u.Name}:{u.Password}\n")));

        // Noisy logins. sshd runs the command with the login shell's -c; Debian's bash then reads
        // ~/.bashrc (SSH_SOURCE_BASHRC), before the skeleton's "not interactive: return" guard if
        // the noise is put at the top, as real dotfiles often do.
        await PrependAsync(
            Path.Combine(Noisy.Home, ".bashrc"),
            "# Econtext.TransportTests: a login that talks\n"
            + "echo \"Welcome to $(hostname)! This is ~/.bashrc talking on stdout.\"\n"
            + "echo 'and this is ~/.bashrc on stderr' >&2\n"
            + "stty -ixon\n"
            + "echo\n");
        await PrependAsync(
            Path.Combine(Noisy.Home, ".profile"),
            "echo 'This is ~/.profile talking on stdout.'\n");
        await File.WriteAllTextAsync(
            Path.Combine(Dir, "banner"),
            "*******************************************************\n"
            + "*  Authorized use only. Activity may be monitored.    *\n"
            + "*  (sshd Banner of the Econtext transport tests)      *\n"
            + "*******************************************************\n");
        await PrependAsync(
            Path.Combine(NoisyNoNewline.Home, ".bashrc"),
            "# Econtext.TransportTests: sets the terminal title without a trailing newline, as many dotfiles do\n"
            + "printf '\\033]0;%s@noisy\\007' \"$USER\"\n");
    }

    private TestUser NewUser(char role, string shell, bool hasKey)
    {
        // Printable ASCII that shells and naive quoting trip over: space, quotes, $, !, ;, &, \.
        string password = "Ect " + RandomId(10) + " '$\"!;&\\x";
        var user = new TestUser("ect" + RunId + role, role, password, shell, hasKey);
        _users.Add(user);
        return user;
    }

    private static async Task PrependAsync(string path, string text)
    {
        string old = File.Exists(path) ? await File.ReadAllTextAsync(path) : string.Empty;
        await File.WriteAllTextAsync(path, text + old);
    }

    private async Task AuthorizeAsync()
    {
        string publicKey = await File.ReadAllTextAsync(ClientKey + ".pub");
        foreach (TestUser user in _users.Where(u => u.HasKey))
        {
            string ssh = Path.Combine(user.Home, ".ssh");
            Directory.CreateDirectory(ssh);
            await File.WriteAllTextAsync(Path.Combine(ssh, "authorized_keys"), publicKey);
        }

        // k can ssh on to the others (a context started Via an ssh context).
        string keyDir = Path.Combine(Key.Home, ".ssh");
        File.Copy(ClientKey, Path.Combine(keyDir, "id_ed25519"), overwrite: true);
        File.Copy(ClientKey + ".pub", Path.Combine(keyDir, "id_ed25519.pub"), overwrite: true);

        foreach (TestUser user in _users)
        {
            await Shell.CheckAsync("/usr/bin/chown", "-R", $"{user.Name}:{user.Name}", user.Home);
            string ssh = Path.Combine(user.Home, ".ssh");
            if (Directory.Exists(ssh))
            {
                SetMode(ssh, "700");
                foreach (string file in Directory.EnumerateFiles(ssh))
                {
                    SetMode(file, file.EndsWith(".pub", StringComparison.Ordinal) ? "644" : "600");
                }
            }
        }
    }

    // ------------------------------------------------------------------------------------------------
    // sudo and doas

    private async Task WriteSudoersAsync()
    {
        string text =
            $"# Econtext.TransportTests run {RunId} (generated; removed when the run ends)\n"
            + $"{Key.Name} ALL=(ALL:ALL) NOPASSWD: ALL\n"
            + $"Defaults:{SudoPassword.Name} timestamp_timeout=0\n"
            + $"{SudoPassword.Name} ALL=(ALL:ALL) ALL\n"
            + $"Defaults:{Tty.Name} requiretty\n"
            + $"{Tty.Name} ALL=(ALL:ALL) NOPASSWD: ALL\n"
            + $"Defaults:{TtyPassword.Name} requiretty, timestamp_timeout=0\n"
            + $"{TtyPassword.Name} ALL=(ALL:ALL) ALL\n";
        string draft = Path.Combine(Dir, "sudoers");
        await File.WriteAllTextAsync(draft, text);
        await Shell.CheckAsync("/usr/sbin/visudo", "-cf", draft);
        Directory.CreateDirectory("/etc/sudoers.d");
        string target = SudoersPrefix + RunId;
        File.Copy(draft, target, overwrite: true);
        SetMode(target, "440");
        RunResult whole = await Shell.RunAsync("/usr/sbin/visudo", "-c");
        if (whole.ExitCode != 0)
        {
            File.Delete(target);
            throw new InvalidOperationException("sudoers did not check out with the drop-in: " + whole);
        }
    }

    private static string DoasBegin(string id) => $"# econtext-transport-tests {id} begin (removed when the run ends)";

    private static string DoasEnd(string id) => $"# econtext-transport-tests {id} end";

    private async Task WriteDoasAsync()
    {
        bool existed = File.Exists(DoasConf);
        string original = existed ? await File.ReadAllTextAsync(DoasConf) : string.Empty;
        if (existed)
        {
            File.Copy(DoasConf, Path.Combine(Dir, "doas.conf.orig"), overwrite: true);
        }
        else
        {
            await File.WriteAllTextAsync(Path.Combine(Dir, "doas.conf.absent"), string.Empty);
        }

        string block =
            DoasBegin(RunId) + "\n"
            + $"permit nopass {Key.Name} as root\n"
            + $"permit {SudoPassword.Name} as root\n"
            + $"permit nopass root as {Key.Name}\n"
            + DoasEnd(RunId) + "\n";
        string text = original + (original.Length > 0 && !original.EndsWith('\n') ? "\n" : string.Empty) + block;
        await File.WriteAllTextAsync(Path.Combine(Dir, "doas.conf.ours"), text);
        await Shell.CheckAsync("/usr/bin/doas", "-C", Path.Combine(Dir, "doas.conf.ours"));
        await ReplaceFileAsync(DoasConf, text, existed ? File.GetUnixFileMode(DoasConf) : UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    /// <summary>Puts doas.conf back: the saved original if nobody else changed it meanwhile, else just without our block.</summary>
    private static async Task RestoreDoasAsync(string dir, string id)
    {
        if (!File.Exists(DoasConf))
        {
            return;
        }

        string current = await File.ReadAllTextAsync(DoasConf);
        string ours = Path.Combine(dir, "doas.conf.ours");
        string orig = Path.Combine(dir, "doas.conf.orig");
        bool wasAbsent = File.Exists(Path.Combine(dir, "doas.conf.absent"));
        UnixFileMode mode = File.GetUnixFileMode(DoasConf);
        if (File.Exists(ours) && current == await File.ReadAllTextAsync(ours))
        {
            if (wasAbsent)
            {
                File.Delete(DoasConf);
            }
            else if (File.Exists(orig))
            {
                await ReplaceFileAsync(DoasConf, await File.ReadAllTextAsync(orig), mode);
            }

            return;
        }

        string begin = $"# econtext-transport-tests {id} begin";
        string end = DoasEnd(id);
        if (!current.Contains(begin, StringComparison.Ordinal))
        {
            return;
        }

        var kept = new List<string>();
        bool inside = false;
        foreach (string line in current.Split('\n'))
        {
            if (line.StartsWith(begin, StringComparison.Ordinal))
            {
                inside = true;
            }
            else if (inside && line == end)
            {
                inside = false;
            }
            else if (!inside)
            {
                kept.Add(line);
            }
        }

        string text = string.Join('\n', kept);
        if (wasAbsent && text.Trim().Length == 0)
        {
            File.Delete(DoasConf);
        }
        else
        {
            await ReplaceFileAsync(DoasConf, text, mode);
        }
    }

    /// <summary>Writes a sibling temp file with the mode, then renames it over the target.</summary>
    private static async Task ReplaceFileAsync(string path, string text, UnixFileMode mode)
    {
        string temp = path + ".econtext-tt.tmp";
        await File.WriteAllTextAsync(temp, text);
        File.SetUnixFileMode(temp, mode);
        File.Move(temp, path, overwrite: true);
    }

    // ------------------------------------------------------------------------------------------------
    // Keys, chroot, sshd, client files

    private async Task MakeKeysAsync()
    {
        await Shell.CheckAsync("/usr/bin/ssh-keygen", "-q", "-t", "ed25519", "-N", string.Empty, "-C", "econtext-tt-host", "-f", Path.Combine(Dir, "host_ed25519_key"));
        await Shell.CheckAsync("/usr/bin/ssh-keygen", "-q", "-t", "ed25519", "-N", string.Empty, "-C", "econtext-tt-client", "-f", ClientKey);
        await Shell.CheckAsync("/usr/bin/ssh-keygen", "-q", "-t", "ed25519", "-N", string.Empty, "-C", "econtext-tt-wrong", "-f", WrongKey);
        await Shell.CheckAsync("/usr/bin/ssh-keygen", "-q", "-t", "ed25519", "-N", string.Empty, "-C", "econtext-tt-other-host", "-f", Path.Combine(Dir, "other_host_key"));
        RunResult fingerprint = await Shell.CheckAsync("/usr/bin/ssh-keygen", "-l", "-f", Path.Combine(Dir, "host_ed25519_key.pub"));
        HostKeyFingerprint = fingerprint.StandardOutput.Split(' ')[1];
        OtherHostKey = PublicKeyOf(Path.Combine(Dir, "other_host_key.pub"));
    }

    private static string PublicKeyOf(string pubFile) => string.Join(' ', File.ReadAllText(pubFile).Trim().Split(' ').Take(2));

    /// <summary>
    /// A small Debian userland without .NET (<see cref="MinimalRootfs"/>) with the user's home and
    /// /proc. sshd's <c>ChrootDirectory</c> puts <see cref="NoRuntime"/> in it after authentication, so
    /// stage 0 runs as it would on a host where .NET was never installed, and finds no dotnet in any place it looks.
    /// </summary>
    private async Task MakeChrootAsync()
    {
        string root = ChrootDir;
        await new MinimalRootfs { Users = [new RootfsUser(NoRuntime.Name, NoRuntime.Uid, NoRuntime.Home, "/bin/bash")] }.BuildAsync(root);
        string home = root + NoRuntime.Home;
        Directory.CreateDirectory(home);
        await Shell.CheckAsync("/usr/bin/chown", $"{NoRuntime.Name}:{NoRuntime.Name}", home);

        // .NET reads /proc/self (and Econtext's loader loads from /proc/self/fd); every real host has
        // it. Unmounted before the run's folder is removed.
        await Shell.CheckAsync("/usr/bin/mount", "-t", "proc", "proc", Path.Combine(root, "proc"));
    }

    private async Task StartSshdAsync()
    {
        // Debian's sshd refuses to start without its privilege separation directory.
        if (!Directory.Exists("/run/sshd"))
        {
            Directory.CreateDirectory("/run/sshd");
            SetMode("/run/sshd", "755");
        }

        _sshdLogFile = new StreamWriter(Path.Combine(Dir, "sshd.log"), append: true) { AutoFlush = true };
        for (int attempt = 1; ; attempt++)
        {
            Port = SilentServer.FreePort();
            await File.WriteAllTextAsync(SshdConfig, SshdConfigText());
            await Shell.CheckAsync(Sshd, "-t", "-f", SshdConfig);
            string? failure = await TryStartSshdAsync();
            if (failure is null)
            {
                return;
            }

            if (attempt >= 5 || !failure.Contains("Address already in use", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"the private sshd did not start: {failure}{Environment.NewLine}{DescribeSshdLog()}");
            }
        }
    }

    private string SshdConfigText() =>
        $"""
        # Private sshd of Econtext.TransportTests run {RunId} (generated; removed when the run ends).
        Port {Port}
        ListenAddress {Address}
        HostKey {Dir}/host_ed25519_key
        PidFile {Dir}/sshd.pid
        # No PAM: sshd checks passwords against /etc/shadow itself, so password logins work without
        # /etc/pam.d/sshd's session modules (pam_loginuid fails in many containers). The price: a
        # locked account ("!" in /etc/shadow) is refused even for key logins, so every user has a password.
        UsePAM no
        PubkeyAuthentication yes
        PasswordAuthentication yes
        KbdInteractiveAuthentication no
        PermitEmptyPasswords no
        PermitRootLogin no
        AllowUsers ect{RunId}?
        AuthorizedKeysFile .ssh/authorized_keys
        StrictModes yes
        UseDNS no
        PrintMotd yes
        PrintLastLog yes
        X11Forwarding no
        # Tests open several connections at once; the default 10:30:100 drops some at random.
        MaxStartups 200
        MaxSessions 200
        LogLevel VERBOSE
        Subsystem sftp internal-sftp
        # No "SetEnv SHLVL=1" (unlike the bench sshd): the remote bash reads ~/.bashrc as on a stock Debian host.

        Match User {Noisy.Name}
            Banner {Dir}/banner

        Match User {NoRuntime.Name}
            ChrootDirectory {ChrootDir}

        """;

    /// <summary>Starts sshd -D -e and waits for "Server listening on", then for its SSH banner; returns why not, or null.</summary>
    private async Task<string?> TryStartSshdAsync()
    {
        var info = new ProcessStartInfo(Sshd)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in new[] { "-D", "-e", "-f", SshdConfig })
        {
            info.ArgumentList.Add(argument);
        }

        var listening = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        string expected = $"Server listening on {Address} port {Port}.";
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        DataReceivedEventHandler onLine = (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            lock (_sshdLog)
            {
                _sshdLog.Add(e.Data);
                if (_sshdLog.Count > 2000)
                {
                    _sshdLog.RemoveRange(0, 1000);
                }

                _sshdLogFile?.WriteLine(e.Data);
            }

            if (e.Data.Contains(expected, StringComparison.Ordinal))
            {
                listening.TrySetResult(null);
            }
            else if (e.Data.Contains("Address already in use", StringComparison.Ordinal))
            {
                listening.TrySetResult(e.Data);
            }
        };
        process.ErrorDataReceived += onLine;
        process.OutputDataReceived += onLine;
        process.Exited += (_, _) => listening.TrySetResult("sshd exited with code " + process.ExitCode);
        process.Start();
        process.StandardInput.Close();
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        _sshd = process;

        string? failure;
        try
        {
            failure = await listening.Task.WaitAsync(SetupDeadline);
        }
        catch (TimeoutException)
        {
            failure = $"no \"{expected}\" within {SetupDeadline.TotalSeconds} s";
        }

        if (failure is null)
        {
            failure = await ReadBannerAsync();
        }

        if (failure is not null)
        {
            await StopSshdAsync();
            lock (_sshdLog)
            {
                return failure + " " + string.Join(" | ", _sshdLog.TakeLast(5));
            }
        }

        return null;
    }

    /// <summary>Connects to the port and reads the server's "SSH-2.0-" line: proof that sshd serves.</summary>
    private async Task<string?> ReadBannerAsync()
    {
        using var deadline = new CancellationTokenSource(SetupDeadline);
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, Port, deadline.Token);
            using var reader = new StreamReader(client.GetStream(), Encoding.ASCII);
            string? line = await reader.ReadLineAsync(deadline.Token);
            return line is not null && line.StartsWith("SSH-2.0-", StringComparison.Ordinal) ? null : $"port {Port} answered \"{line}\", not an SSH banner";
        }
        catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException)
        {
            return $"port {Port}: {ex.Message}";
        }
    }

    private async Task WriteClientFilesAsync()
    {
        string hostKey = PublicKeyOf(Path.Combine(Dir, "host_ed25519_key.pub"));
        await File.WriteAllTextAsync(KnownHosts, $"{KnownHostsName} {hostKey}\n");

        var config = new StringBuilder();
        config.Append(CultureInfo.InvariantCulture, $"# ssh client config of Econtext.TransportTests run {RunId}: ssh -F {SshConfig} ect-X\n");
        foreach (TestUser user in _users)
        {
            config.Append(CultureInfo.InvariantCulture, $"Host {user.Alias}\n    User {user.Name}\n");
        }

        config.Append(CultureInfo.InvariantCulture, $"Host ect-*\n    HostName {Address}\n    Port {Port}\n    IdentityFile {ClientKey}\n");
        config.Append(CultureInfo.InvariantCulture, $"""
            # Isolation from root's own ssh setup: only keys named here or with -i, no agent, only this known_hosts.
            Host *
                IdentitiesOnly yes
                IdentityAgent none
                UserKnownHostsFile {KnownHosts}
                GlobalKnownHostsFile /dev/null
                ControlMaster no
                ControlPath none

            """);
        await File.WriteAllTextAsync(SshConfig, config.ToString());

        // The ssh hop from k's context finds the server in k's own known_hosts.
        string keyKnownHosts = Path.Combine(Key.Home, ".ssh", "known_hosts");
        await File.WriteAllTextAsync(keyKnownHosts, $"{KnownHostsName} {hostKey}\n");
        await Shell.CheckAsync("/usr/bin/chown", $"{Key.Name}:{Key.Name}", keyKnownHosts);
        SetMode(keyKnownHosts, "644");
    }

    // ------------------------------------------------------------------------------------------------
    // Teardown and the sweep of crashed runs

    private async Task StopSshdAsync()
    {
        Process? sshd = Interlocked.Exchange(ref _sshd, null);
        if (sshd is null)
        {
            return;
        }

        if (!sshd.HasExited)
        {
            // Session processes (sshd: user [priv], the user's shell, contexts) first, then the listener.
            await KillTreeAsync(sshd.Id);
        }

        await sshd.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        sshd.Dispose();
    }

    private static async Task KillTreeAsync(int root)
    {
        List<int> pids = Processes.Descendants(root);
        pids.Insert(0, root);
        foreach (int pid in pids)
        {
            Processes.Signal(pid, Processes.SigTerm);
        }

        if (!await Processes.WaitGoneAsync(pids, TimeSpan.FromSeconds(3)))
        {
            foreach (int pid in pids)
            {
                Processes.Signal(pid, Processes.SigKill);
            }

            await Processes.WaitGoneAsync(pids, TimeSpan.FromSeconds(3));
        }
    }

    private async Task CleanUpAsync()
    {
        var errors = new List<string>();
        async Task Try(string what, Func<Task> step)
        {
            try
            {
                await step();
            }
            catch (Exception ex)
            {
                errors.Add($"{what}: {ex.Message}");
            }
        }

        await Try("stopping sshd", StopSshdAsync);
        lock (_sshdLog)
        {
            _sshdLogFile?.Dispose();
            _sshdLogFile = null;
        }

        if (Dir.Length > 0)
        {
            await Try("removing the run", async () =>
            {
                using FileStream machineLock = await LockAsync();
                await RemoveRunAsync(Dir, RunId, _users.Select(u => u.Name).ToList());
            });
        }

        if (errors.Count > 0)
        {
            throw new InvalidOperationException("cleaning up the transport test hosts failed: " + string.Join("; ", errors));
        }
    }

    /// <summary>Removes everything a run made; works for this run and for a crashed one alike.</summary>
    private static async Task RemoveRunAsync(string dir, string id, IReadOnlyCollection<string> users)
    {
        // Its sshd, if it still runs (checked by command line, so a reused pid is left alone).
        string pidFile = Path.Combine(dir, "sshd.pid");
        if (File.Exists(pidFile) && int.TryParse(File.ReadAllText(pidFile).Trim(), CultureInfo.InvariantCulture, out int sshdPid)
            && Processes.CommandLine(sshdPid).Contains(Path.Combine(dir, "sshd_config"), StringComparison.Ordinal))
        {
            await KillTreeAsync(sshdPid);
        }

        foreach (string user in users)
        {
            await DeleteUserAsync(user);
        }

        File.Delete(SudoersPrefix + id);
        await RestoreDoasAsync(dir, id);

        // The chroot's /proc first: a recursive delete must never walk into a mounted file system.
        string proc = Path.Combine(dir, "chroot", "proc");
        if (File.ReadAllText("/proc/mounts").Contains(" " + proc + " ", StringComparison.Ordinal))
        {
            await Shell.CheckAsync("/usr/bin/umount", "-l", proc);
        }

        if (Directory.Exists(dir))
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static async Task DeleteUserAsync(string name)
    {
        RunResult id = await Shell.RunAsync("/usr/bin/id", "-u", name);
        if (id.ExitCode != 0)
        {
            return;
        }

        // userdel refuses while the user has processes: end them, by pid (contexts a failed test left).
        int uid = int.Parse(id.StandardOutput.Trim(), CultureInfo.InvariantCulture);
        for (int round = 0; round < 3; round++)
        {
            List<int> theirs = Processes.All().Where(pid => Processes.UidOf(pid) == uid).ToList();
            if (theirs.Count == 0)
            {
                break;
            }

            foreach (int pid in theirs)
            {
                Processes.Signal(pid, Processes.SigKill);
            }

            await Processes.WaitGoneAsync(theirs, TimeSpan.FromSeconds(3));
        }

        RunResult deleted = await Shell.RunAsync("/usr/sbin/userdel", "-r", "-f", name);
        if (deleted.ExitCode != 0 && (await Shell.RunAsync("/usr/bin/id", "-u", name)).ExitCode == 0)
        {
            throw new InvalidOperationException("userdel failed: " + deleted);
        }
    }

    /// <summary>Removes runs whose owner process is gone, and users, sudoers files and doas blocks no live run owns.</summary>
    private static async Task SweepStaleRunsAsync()
    {
        var live = new HashSet<string>(StringComparer.Ordinal);
        foreach (string dir in Directory.EnumerateDirectories(BaseDir))
        {
            string id = Path.GetFileName(dir);
            if (IsOwnerAlive(dir))
            {
                live.Add(id);
                continue;
            }

            string usersFile = Path.Combine(dir, "users");
            List<string> users = File.Exists(usersFile) ? [.. File.ReadAllLines(usersFile).Where(l => l.Length > 0)] : [];
            await RemoveRunAsync(dir, id, users);
        }

        // Leftovers of runs whose directory is gone too.
        foreach (string line in File.ReadAllLines("/etc/passwd"))
        {
            string[] fields = line.Split(':');
            if (fields.Length > 4 && fields[4].StartsWith(GecosPrefix, StringComparison.Ordinal) && !live.Contains(fields[4][GecosPrefix.Length..]))
            {
                await DeleteUserAsync(fields[0]);
            }
        }

        if (Directory.Exists("/etc/sudoers.d"))
        {
            foreach (string file in Directory.EnumerateFiles("/etc/sudoers.d", "econtext-tt-*"))
            {
                if (!live.Contains(Path.GetFileName(file)["econtext-tt-".Length..]))
                {
                    File.Delete(file);
                }
            }
        }

        if (File.Exists(DoasConf))
        {
            foreach (Match match in Regex.Matches(await File.ReadAllTextAsync(DoasConf), "^# econtext-transport-tests (\\S+) begin", RegexOptions.Multiline))
            {
                string id = match.Groups[1].Value;
                if (!live.Contains(id))
                {
                    await RestoreDoasAsync(Path.Combine(BaseDir, id), id);
                }
            }
        }
    }

    // No owner file yet: a run being created right now has the lock, so this one is dead.
    private static bool IsOwnerAlive(string dir) => RunOwner.IsAlive(dir) ?? false;

    /// <summary>Serializes setup and teardown of runs on this machine (the sweep, doas.conf edits).</summary>
    private static async Task<FileStream> LockAsync()
    {
        string path = Path.Combine(BaseDir, ".lock");
        long deadline = Environment.TickCount64 + 60_000;
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (Environment.TickCount64 < deadline)
            {
                await Task.Delay(50);
            }
        }
    }

    // ------------------------------------------------------------------------------------------------

    private static string RandomId(int length = 4)
    {
        const string alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
        return RandomNumberGenerator.GetString(alphabet, length);
    }

    private static void SetMode(string path, string octal) =>
        File.SetUnixFileMode(path, (UnixFileMode)Convert.ToInt32(octal, 8));
}
