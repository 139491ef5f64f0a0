using Xunit;

namespace Econtext.TestSupport;

/// <summary>
/// Tests that count what the whole test process holds (descriptors, threads) run alone, after the
/// parallel ones: another class starting contexts at the same time would add its own to the count.
/// xunit finds collection definitions only in the test assembly itself, so this file is compiled
/// into each test project (TestSupport.props links it) rather than into Econtext.TestSupport.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialCollection
{
    public const string Name = "serial (process-wide counts)";
}
