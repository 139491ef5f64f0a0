using System.Text.Json.Nodes;
using Econtext.Cli.Targets;

namespace Econtext.Cli.Running;

/// <summary>How one host's part of a command ended.</summary>
/// <param name="Host">The host.</param>
/// <param name="State">Ok, Failed or Unreachable.</param>
/// <param name="Elapsed">From starting to connect until the work ended.</param>
/// <param name="Summary">One line: the work's summary, or the reason it failed.</param>
/// <param name="Failure">For an unreachable host, or a failed become, the transport's classification (AuthenticationFailed, PasswordIncorrect...).</param>
/// <param name="Json">The command's fields; null when the host was unreachable or the work threw.</param>
internal sealed record HostOutcome(TargetHost Host, HostState State, TimeSpan Elapsed, string Summary, ConnectionFailure? Failure, JsonObject? Json)
{
    /// <summary>Set when the agent's warm context for the host was gone and was started again: why it was gone.</summary>
    public string? Reconnected { get; init; }
}
