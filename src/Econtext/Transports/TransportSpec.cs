namespace Econtext.Transports;

/// <summary>
/// Everything needed to start a transport process, wherever it runs: in the master, or inside a
/// context that the new one is reached through (then it travels there as a call argument).
/// </summary>
internal sealed record TransportSpec
{
    public required string Program { get; init; }

    public required List<string> Arguments { get; init; }

    public Dictionary<string, string>? Environment { get; init; }

    /// <summary>How errors name the process, e.g. "ssh" or "sudo".</summary>
    public required string Description { get; init; }

    public required string Name { get; init; }

    public long TimeoutMilliseconds { get; init; }

    public PasswordMode PasswordMode { get; init; }

    public string? Password { get; init; }

    /// <summary>Text that marks the transport's password prompt on its terminal (case-sensitive substring).</summary>
    public string? PasswordPrompt { get; init; }

    /// <summary>Spawn the transport with a pseudo-terminal as its controlling terminal (protocol stays on pipes).</summary>
    public bool UseTerminal { get; init; }

    /// <summary>Send the core image compressed: the transport relays it through a network or a process such as sshd.</summary>
    public bool DeflateCore { get; init; }

    public TimeSpan Timeout => TimeSpan.FromMilliseconds(TimeoutMilliseconds);
}
