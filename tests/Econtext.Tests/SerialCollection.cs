namespace Econtext.Tests;

/// <summary>
/// Tests that count what the whole test process holds (threads) run alone, after the parallel ones:
/// another class starting processes at the same time would add its own to the count.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialCollection
{
    public const string Name = "serial (process-wide counts)";
}
