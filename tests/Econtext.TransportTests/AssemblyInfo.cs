// Every test shares the TestHosts collection fixture (one sshd, one set of users), so they run one
// after another in that collection; parallelization stays on because xunit's Timeout needs it.
[assembly: CollectionBehavior(CollectionBehavior.CollectionPerClass, MaxParallelThreads = 4)]
