namespace Econtext.Cli.Agent.Client;

/// <summary>The agent cannot be used: its directory is unsafe, it did not start, or it went away; the message says what to do.</summary>
internal sealed class AgentException(string message) : Exception(message);
