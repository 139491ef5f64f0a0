using System.Globalization;
using Econtext.Cli.Running;

namespace Econtext.Cli.Output;

/// <summary>The one-line count of a run: "3 ok, 1 failed, 1 unreachable in 2.1 s".</summary>
internal static class Tally
{
    public static string Line(IReadOnlyList<HostOutcome> outcomes, TimeSpan elapsed)
    {
        int ok = outcomes.Count(o => o.State == HostState.Ok);
        int failed = outcomes.Count(o => o.State == HostState.Failed);
        int unreachable = outcomes.Count(o => o.State == HostState.Unreachable);
        return string.Create(
            CultureInfo.InvariantCulture,
            $"{ok} ok, {failed} failed, {unreachable} unreachable, {outcomes.Count} host{(outcomes.Count == 1 ? "" : "s")} in {elapsed.TotalSeconds:0.00} s");
    }
}
