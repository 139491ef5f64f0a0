namespace Econtext.Cli.Agent.Client;

/// <summary>How a command line is run.</summary>
internal enum AgentMode
{
    /// <summary>In this process, as without an agent: help, usage errors, --no-agent, --persist 0.</summary>
    InProcess,

    /// <summary>By the agent, started if it is not running.</summary>
    Agent,

    /// <summary><c>econtext agent status</c>: asked of a running agent; none is started.</summary>
    Status,

    /// <summary><c>econtext agent stop</c>: asked of a running agent; none is started.</summary>
    Stop,
}
