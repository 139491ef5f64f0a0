namespace Econtext.IntegrationTests.Infrastructure;

/// <summary>
/// Tests that count what the whole test process holds (descriptors, threads) run alone, after the
/// parallel ones: another class starting contexts at the same time would add its own to the count.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialCollection
{
    public const string Name = "serial (process-wide counts)";
}
