using Econtext.Cli.Remote;

namespace Econtext.Cli.Output;

/// <summary>What <c>econtext facts</c> found: the context's facts and how fast it was to reach.</summary>
/// <param name="Facts">What the context reported about itself.</param>
/// <param name="ConnectMs">Time from starting the child to its context being ready, in milliseconds.</param>
/// <param name="RttMedianUs">Median round trip of a call that does nothing, in microseconds.</param>
/// <param name="RoundTrips">How many round trips the median is over.</param>
internal sealed record FactsReport(HostFacts Facts, double ConnectMs, double RttMedianUs, int RoundTrips);
