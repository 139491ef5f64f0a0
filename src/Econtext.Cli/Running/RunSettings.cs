using Econtext.Cli.Targets;

namespace Econtext.Cli.Running;

/// <summary>What every host command shares: where to connect, how, and how many at once.</summary>
internal sealed record RunSettings
{
    public required IReadOnlyList<TargetHost> Hosts { get; init; }

    /// <summary>A host every ssh connection goes through (a context there runs the ssh client); null for none.</summary>
    public TargetHost? Via { get; init; }

    public BecomeSettings Become { get; init; } = new(false, null, null, null);

    /// <summary><c>-u</c>: the login user for hosts whose inventory does not name one.</summary>
    public string? User { get; init; }

    /// <summary><c>-k</c>: the ssh login password, asked on the terminal; null for keys only (BatchMode).</summary>
    public string? SshPassword { get; init; }

    /// <summary><c>-v</c>: each ssh command line is shown on stderr before it runs.</summary>
    public bool Verbose { get; init; }

    /// <summary><c>--private-key</c>: the key for hosts whose inventory does not name one.</summary>
    public string? IdentityFile { get; init; }

    /// <summary><c>-F</c>: an ssh_config file on this machine, for the ssh clients this process runs.</summary>
    public string? SshConfigFile { get; init; }

    /// <summary><c>-o</c> values, placed before each host's own ssh arguments.</summary>
    public IReadOnlyList<string> SshOptions { get; init; } = [];

    public HostKeyPolicy? HostKeyPolicy { get; init; }

    /// <summary>How long an ssh master connection outlives its last session; zero for none.</summary>
    public TimeSpan ControlPersist { get; init; }

    /// <summary>How many hosts are worked on at once.</summary>
    public int Forks { get; init; } = 100;

    /// <summary>What bounds a local, become or container context's start when <c>-T</c> is not given.</summary>
    public static readonly TimeSpan DefaultConnectTimeout = TimeSpan.FromSeconds(30);

    /// <summary><c>-T</c>: ssh's ConnectTimeout, and the bound on starting other contexts.</summary>
    public TimeSpan ConnectTimeout { get; init; } = DefaultConnectTimeout;

    /// <summary>No <c>-T</c>: ssh gets no ConnectTimeout, so the user's ssh configuration's applies.</summary>
    public bool SshConnectTimeoutFromConfig { get; init; }

    /// <summary>The dotnet host for local contexts; null searches for it.</summary>
    public string? DotnetPath { get; init; }

    /// <summary>One JSON object per host on stdout instead of text.</summary>
    public bool Json { get; init; }

    /// <summary><c>--list-hosts</c>: print the selected hosts and connect to none.</summary>
    public bool ListHostsOnly { get; init; }

    /// <summary><c>--host-timeout</c>: how long each host may take, connect and work together; null for no bound.</summary>
    public TimeSpan? HostTimeout { get; init; }
}
