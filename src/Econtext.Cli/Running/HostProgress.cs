using System.Diagnostics;
using Econtext.Cli.Targets;

namespace Econtext.Cli.Running;

/// <summary>One host's live state, written by its worker and read by the progress display.</summary>
internal sealed class HostProgress(TargetHost host)
{
    private long _started;
    private long _ended;

    public TargetHost Host { get; } = host;

    public volatile HostState State;

    /// <summary>The latest thing worth showing: a line of output, bytes copied, the reason of a failure.</summary>
    public volatile string Detail = string.Empty;

    public HostOutcome? Outcome { get; private set; }

    public TimeSpan Elapsed => _started == 0
        ? TimeSpan.Zero
        : Stopwatch.GetElapsedTime(_started, _ended == 0 ? Stopwatch.GetTimestamp() : _ended);

    public void Start()
    {
        _started = Stopwatch.GetTimestamp();
        State = HostState.Connecting;
    }

    public void Finish(HostOutcome outcome)
    {
        _ended = Stopwatch.GetTimestamp();
        Outcome = outcome;
        Detail = outcome.Summary;
        State = outcome.State;
    }
}
