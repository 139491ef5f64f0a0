// The ssh, sudo, su and doas tests share the TestHosts collection fixture (one sshd, one set of
// users), so they run one after another in that collection; the podman (and buildah) and docker tests
// have a collection each (PodmanEngine, DockerEngine) and run beside it. Parallelization stays on
// because xunit's Timeout needs it.
[assembly: CollectionBehavior(CollectionBehavior.CollectionPerClass, MaxParallelThreads = 4)]

// Every test here uses a fixture that makes users, runs sshd and writes sudoers and doas.conf, or
// runs containers and a container daemon: root only. ./test run by another user leaves them out with --filter "Needs!=root".
[assembly: AssemblyTrait("Needs", "root")]
