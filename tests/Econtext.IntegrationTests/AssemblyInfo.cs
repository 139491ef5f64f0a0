// Test classes run in parallel (each with its own router and children); xunit's Timeout needs that.
[assembly: CollectionBehavior(CollectionBehavior.CollectionPerClass, MaxParallelThreads = 4)]
