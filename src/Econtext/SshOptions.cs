namespace Econtext;

/// <summary>
/// A context on another host, started by OpenSSH's own <c>ssh</c> client, so ~/.ssh/config, agents,
/// ProxyJump, ControlMaster and certificates work as they do on the command line.
/// </summary>
public sealed record SshOptions
{
    /// <summary>Host name, address or ~/.ssh/config alias.</summary>
    public required string Host { get; init; }

    /// <summary>Port; null leaves it to ssh (config, then 22).</summary>
    public int? Port { get; init; }

    /// <summary>Login user; null leaves it to ssh.</summary>
    public string? User { get; init; }

    /// <summary>Private key file (<c>-i</c>); <c>~/</c> is expanded.</summary>
    public string? IdentityFile { get; init; }

    /// <summary>Null keeps the user's own StrictHostKeyChecking setting.</summary>
    public HostKeyPolicy? HostKeyPolicy { get; init; }

    /// <summary>
    /// Password for password or keyboard-interactive authentication. It is handed to ssh through a
    /// one-time SSH_ASKPASS helper, never on a command line or in the environment. Null: BatchMode.
    /// </summary>
    public string? Password { get; init; }

    /// <summary>The OpenSSH client to run, a path or a name looked up in PATH; default <c>ssh</c>.</summary>
    public string SshPath { get; init; } = "ssh";

    /// <summary>Extra arguments placed before the host, e.g. <c>["-F", "cfg"]</c>.</summary>
    public IReadOnlyList<string> SshArgs { get; init; } = [];

    /// <summary>
    /// Passed to ssh as ConnectTimeout (the TCP connect and the banner exchange), unless
    /// <see cref="UseSshConfigConnectTimeout"/>. Authentication and the target's runtime start get 30 s
    /// more before the attempt is abandoned.
    /// </summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Pass no ConnectTimeout to ssh, so the user's ssh configuration's applies (ssh_config, <c>-F</c>, or
    /// <c>-o</c> in <see cref="SshArgs"/>); <see cref="ConnectTimeout"/> then only bounds the whole start,
    /// with its 30 s more. For tools that should honour a setting people make in ~/.ssh/config.
    /// </summary>
    public bool UseSshConfigConnectTimeout { get; init; }

    /// <summary>ServerAliveInterval; zero turns keepalives off.</summary>
    public TimeSpan KeepAliveInterval { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// ssh compression; off by default (it cuts LAN throughput several times). The bootstrap's core
    /// image is compressed by Econtext itself when this is off, so a slow link does not need it.
    /// </summary>
    public bool Compression { get; init; }

    /// <summary>Name used in logs and errors; defaults to <c>ssh:[user@]host[:port]</c>, with <c>@via</c> when started through a context.</summary>
    public string? Name { get; init; }

    /// <summary>A context to run ssh from instead of this process.</summary>
    public Context? Via { get; init; }

    /// <summary>The <c>dotnet</c> host on the target; by default stage 0 looks in the usual places.</summary>
    public string? DotnetPath { get; init; }

    /// <summary>
    /// The command line these options start, program first, with <paramref name="remoteCommand"/> in place
    /// of the bootstrap the remote shell is given: for a tool's verbose output (what Ansible's -vvv shows).
    /// </summary>
    public IReadOnlyList<string> CommandLine(string remoteCommand = "<stage 0>") =>
        [SshPath, .. Transports.SshCommand.Arguments(this, remoteCommand)];
}
