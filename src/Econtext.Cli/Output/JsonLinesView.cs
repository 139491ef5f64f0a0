using Econtext.Cli.Running;

namespace Econtext.Cli.Output;

/// <summary><c>--json</c>: one object per host on stdout as each host finishes; the tally goes to stderr.</summary>
internal sealed class JsonLinesView(TextWriter output, TextWriter error) : IRunView
{
    public Task ShowAsync(IReadOnlyList<HostProgress> hosts, Task finished) => finished;

    public void HostFinished(HostProgress host)
    {
        lock (ConsoleGate.Lines)
        {
            output.WriteLine(OutcomeJson.Line(host.Outcome!));
            output.Flush();
        }
    }

    public void Summarize(IReadOnlyList<HostOutcome> outcomes, TimeSpan elapsed) =>
        error.WriteLine(Tally.Line(outcomes, elapsed));
}
