using Econtext.Transports;

namespace Econtext.Bootstrap;

/// <summary>What each transport runs to reach stage 0, from its options record, and the default name it gives the context.</summary>
internal static class TransportSpecs
{
    public static TransportSpec Local(LocalOptions options, RouterOptions router) => new()
    {
        Program = "/bin/sh",
        Arguments = ["-c", Stage0Script(options.DotnetPath, router)],
        Environment = options.Environment?.ToDictionary(),
        Description = "local child (/bin/sh -c <stage 0>)",
        Name = options.Name ?? (options.Via is null ? string.Empty : "local" + ViaSuffix(options.Via)),
        TimeoutMilliseconds = (long)options.ConnectTimeout.TotalMilliseconds,
    };

    public static TransportSpec Ssh(SshOptions options, RouterOptions router) => new()
    {
        Program = options.SshPath,
        Arguments = SshCommand.Arguments(options, SshCommand.PortableCommand(Stage0Script(options.DotnetPath, router))),
        Description = "ssh",
        Name = options.Name ?? SshCommand.DefaultName(options) + ViaSuffix(options.Via),

        // ssh bounds the TCP connect and banner itself (ConnectTimeout); authentication and the
        // remote runtime's start get a further 30 s before the whole attempt is abandoned.
        TimeoutMilliseconds = (long)(options.ConnectTimeout + TimeSpan.FromSeconds(30)).TotalMilliseconds,
        PasswordMode = options.Password is null ? PasswordMode.None : PasswordMode.AskPass,
        Password = options.Password,

        // sshd buffers what arrives before the child reads it, and growing that buffer costs it CPU
        // per connection (docs/performance.md): with ssh's own compression off, the core goes deflated.
        DeflateCore = !options.Compression,
    };

    public static TransportSpec Sudo(SudoOptions options, RouterOptions router) =>
        BecomeCommand.Sudo(options, Stage0Script(options.DotnetPath, router), options.Name ?? BecomeName("sudo", options.User, options.Via));

    public static TransportSpec Su(SuOptions options, RouterOptions router) =>
        BecomeCommand.Su(options, Stage0Script(options.DotnetPath, router), options.Name ?? BecomeName("su", options.User, options.Via));

    public static TransportSpec Doas(DoasOptions options, RouterOptions router) =>
        BecomeCommand.Doas(options, Stage0Script(options.DotnetPath, router), options.Name ?? BecomeName("doas", options.User, options.Via));

    public static TransportSpec Podman(PodmanOptions options, RouterOptions router) =>
        ContainerCommand.Exec(options, "podman", options.PodmanPath, Stage0Script(options.DotnetPath, router), options.Name ?? $"podman:{options.Container}" + ViaSuffix(options.Via));

    public static TransportSpec Docker(DockerOptions options, RouterOptions router) =>
        ContainerCommand.Exec(options, "docker", options.DockerPath, Stage0Script(options.DotnetPath, router), options.Name ?? $"docker:{options.Container}" + ViaSuffix(options.Via));

    public static TransportSpec Buildah(BuildahOptions options, RouterOptions router) =>
        ContainerCommand.Buildah(options, Stage0Script(options.DotnetPath, router), options.Name ?? $"buildah:{options.Container}" + ViaSuffix(options.Via));

    public static TransportSpec Lxc(LxcOptions options, RouterOptions router) =>
        ContainerCommand.Lxc(options, Stage0Script(options.DotnetPath, router), options.Name ?? $"lxc:{options.Container}" + ViaSuffix(options.Via));

    public static TransportSpec Nsenter(NsenterOptions options, RouterOptions router) =>
        ContainerCommand.Nsenter(options, Stage0Script(options.DotnetPath, router), options.Name ?? $"nsenter:{options.Pid}" + ViaSuffix(options.Via));

    public static TransportSpec Chroot(ChrootOptions options, RouterOptions router) =>
        ContainerCommand.Chroot(options, Stage0Script(options.DotnetPath, router), options.Name ?? $"chroot:{options.Directory}" + ViaSuffix(options.Via));

    private static string Stage0Script(string? dotnetPath, RouterOptions router) => Stage0.Build(dotnetPath, router.ShipRuntime, router.RuntimeCacheDirectory);

    private static string BecomeName(string method, string user, Context? via) => $"{method}:{user}" + ViaSuffix(via);

    /// <summary>A default name says where the context was started from: <c>sudo:root@ssh:web1</c>.</summary>
    private static string ViaSuffix(Context? via) => via is null ? string.Empty : "@" + via.Name;
}
