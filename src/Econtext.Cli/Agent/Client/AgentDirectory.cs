namespace Econtext.Cli.Agent.Client;

/// <summary>
/// Where a user's agent listens: <c>$ECONTEXT_AGENT_DIR</c>, else <c>$XDG_RUNTIME_DIR/econtext</c>, else
/// <c>/tmp/econtext-UID</c>. The directory must be the user's own with mode 0700 (and not a symbolic link):
/// that, not the socket's own mode, is what keeps other users out, so anything else is refused, never
/// repaired.
/// </summary>
internal sealed record AgentDirectory(string Path)
{
    public string Socket => System.IO.Path.Combine(Path, "agent.sock");

    public string LockFile => System.IO.Path.Combine(Path, "agent.lock");

    public string LogFile => System.IO.Path.Combine(Path, "agent.log");

    public static AgentDirectory Locate(Func<string, string?> variable)
    {
        if (variable("ECONTEXT_AGENT_DIR") is { Length: > 0 } chosen)
        {
            return new AgentDirectory(System.IO.Path.GetFullPath(chosen));
        }

        if (variable("XDG_RUNTIME_DIR") is { Length: > 0 } runtime && System.IO.Path.IsPathRooted(runtime))
        {
            return new AgentDirectory(System.IO.Path.Combine(runtime, "econtext"));
        }

        return new AgentDirectory("/tmp/econtext-" + UnixCalls.UserId);
    }

    /// <summary>Makes the directory (0700) if it is missing, then checks it.</summary>
    /// <exception cref="AgentException">It is not a directory, not this user's, or open to others.</exception>
    public void Prepare()
    {
        if (UnixCalls.LinkStatus(Path) is null)
        {
            try
            {
                Directory.CreateDirectory(Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new AgentException($"cannot make the agent's directory {Path}: {ex.Message}. Set ECONTEXT_AGENT_DIR to a directory of your own, or run without the agent (--no-agent).");
            }
        }

        Check();
    }

    /// <summary>Checks the directory without making it.</summary>
    public void Check()
    {
        if (UnixCalls.LinkStatus(Path) is not (uint owner, uint mode))
        {
            throw new AgentException($"the agent's directory {Path} does not exist");
        }

        string fix = $"Remove it (or set ECONTEXT_AGENT_DIR to a directory of your own with mode 0700), or run without the agent (--no-agent).";
        if ((mode & UnixCalls.TypeMask) != UnixCalls.Directory)
        {
            throw new AgentException($"the agent's directory {Path} is not a directory (a symbolic link or a file); refusing to use it. {fix}");
        }

        if (owner != UnixCalls.UserId)
        {
            throw new AgentException($"the agent's directory {Path} belongs to uid {owner}, not to you (uid {UnixCalls.UserId}); refusing to use it. {fix}");
        }

        if ((mode & 0x3F) != 0)
        {
            throw new AgentException($"the agent's directory {Path} has mode {Convert.ToString(mode & 0x1FF, 8).PadLeft(4, '0')}: other users can reach it; refusing to use it. It must be 0700: chmod 700 {Path}, or {fix[0..1].ToLowerInvariant()}{fix[1..]}");
        }
    }
}
