namespace Econtext.Cli.Running;

/// <summary>How a run is shown while it goes: a live table, plain lines, or JSON lines.</summary>
internal interface IRunView
{
    /// <summary>Shows the hosts until <paramref name="finished"/> completes.</summary>
    Task ShowAsync(IReadOnlyList<HostProgress> hosts, Task finished);

    /// <summary>Called once per host, from that host's worker, when it reaches a final state.</summary>
    void HostFinished(HostProgress host);

    /// <summary>Called once after every host finished.</summary>
    void Summarize(IReadOnlyList<HostOutcome> outcomes, TimeSpan elapsed);
}
