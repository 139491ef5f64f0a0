namespace Econtext.Cli.Agent.Client;

/// <summary>What a frame between the econtext client and its agent carries (docs/architecture.md, "Warm contexts").</summary>
internal enum AgentFrameKind : byte
{
    /// <summary>Client to agent, first: the command line and where it was typed (<see cref="AgentRequest"/>).</summary>
    Request = 1,

    /// <summary>Client to agent: the person pressed Ctrl-C (or the client got SIGTERM or SIGHUP).</summary>
    Cancel = 2,

    /// <summary>Client to agent: the answer to a <see cref="Prompt"/>; first byte 1 and the text, or 0 when there is no terminal to ask on.</summary>
    Answer = 3,

    /// <summary>Agent to client: bytes for the client's standard output.</summary>
    Stdout = 11,

    /// <summary>Agent to client: bytes for the client's standard error.</summary>
    Stderr = 12,

    /// <summary>Agent to client: ask the person for a password without echo; the payload is the prompt.</summary>
    Prompt = 13,

    /// <summary>Agent to client, last: the command's exit code (4 bytes, little-endian).</summary>
    Exit = 14,

    /// <summary>Agent to client instead of running: the agent is another build's; the payload says which. The agent is stopping.</summary>
    Refused = 15,
}
