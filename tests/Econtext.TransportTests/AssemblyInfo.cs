// Every test shares the TestHosts collection fixture (one sshd, one set of users), so they run one
// after another in that collection; parallelization stays on because xunit's Timeout needs it.
[assembly: CollectionBehavior(CollectionBehavior.CollectionPerClass, MaxParallelThreads = 4)]

// Every test here uses the TestHosts fixture, which makes users, runs sshd and writes sudoers and
// doas.conf: root only. ./test run by another user leaves them out with --filter "Needs!=root".
[assembly: AssemblyTrait("Needs", "root")]
