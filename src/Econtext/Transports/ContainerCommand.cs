namespace Econtext.Transports;

/// <summary>
/// Command lines for contexts inside containers and namespaces: <c>podman</c>/<c>docker exec -i</c>,
/// <c>buildah run</c>, <c>lxc-attach</c>, <c>nsenter</c> and <c>chroot</c>. Each runs stage 0 with <c>/bin/sh -c</c>
/// on plain pipes (no terminal: none of them asks for a password), so the protocol flows through the
/// engine as through ssh.
/// </summary>
internal static class ContainerCommand
{
    public static TransportSpec Exec(ContainerOptions options, string engine, string program, string stage0, string name)
    {
        var arguments = new List<string>(options.EngineArgs) { "exec", "-i" };
        if (options.User is { } user)
        {
            arguments.AddRange(["--user", user]);
        }

        if (options.WorkingDirectory is { } directory)
        {
            arguments.AddRange(["--workdir", directory]);
        }

        Dictionary<string, string>? environment = ByName(options.Environment, options.EngineEnvironment?.ToDictionary(), arguments, "--env");
        arguments.AddRange([options.Container, "/bin/sh", "-c", stage0]);
        return Spec(program, arguments, engine, name, options.ConnectTimeout, environment);
    }

    public static TransportSpec Buildah(BuildahOptions options, string stage0, string name)
    {
        var arguments = new List<string>(options.BuildahArgs) { "run" };
        if (options.User is { } user)
        {
            arguments.AddRange(["--user", user]);
        }

        if (options.WorkingDirectory is { } directory)
        {
            arguments.AddRange(["--workingdir", directory]);
        }

        arguments.AddRange([options.Container, "--", "/bin/sh", "-c", stage0]);
        return Spec(options.BuildahPath, arguments, "buildah", name, options.ConnectTimeout, environment: null);
    }

    public static TransportSpec Nsenter(NsenterOptions options, string stage0, string name)
    {
        var arguments = new List<string> { "--target", options.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        arguments.AddRange(options.NsenterArgs.Count > 0 ? options.NsenterArgs : ["--all", "--root", "--wd"]);
        if (options.UserId is { } uid)
        {
            arguments.Add("--setuid=" + uid.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        if (options.GroupId is { } gid)
        {
            arguments.Add("--setgid=" + gid.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        arguments.AddRange(["--", "/bin/sh", "-c", stage0]);
        return Spec(options.NsenterPath, arguments, "nsenter", name, options.ConnectTimeout, environment: null);
    }

    public static TransportSpec Chroot(ChrootOptions options, string stage0, string name)
    {
        var arguments = new List<string>();
        if (options.User is { } user)
        {
            arguments.Add("--userspec=" + user);
        }

        arguments.AddRange([options.Directory, "/bin/sh", "-c", stage0]);
        return Spec(options.ChrootPath, arguments, "chroot", name, options.ConnectTimeout, environment: null);
    }

    public static TransportSpec Lxc(LxcOptions options, string stage0, string name)
    {
        var arguments = new List<string> { "-n", options.Container };
        if (options.LxcPath is { } path)
        {
            arguments.AddRange(["-P", path]);
        }

        // The container's own environment, not this process's (as Ansible's lxc connection): PATH
        // becomes LXC's default; HOME is unset, so a shipped runtime is cached under /tmp there.
        arguments.Add("--clear-env");
        Dictionary<string, string>? environment = ByName(options.Environment, null, arguments, "--keep-var");

        if (options.UserId is { } uid)
        {
            arguments.AddRange(["-u", uid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        }

        if (options.GroupId is { } gid)
        {
            arguments.AddRange(["-g", gid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        }

        arguments.AddRange(["--", "/bin/sh", "-c", stage0]);
        return Spec(options.LxcAttachPath, arguments, "lxc-attach", name, options.ConnectTimeout, environment);
    }

    /// <summary>
    /// Variables for inside, by name only: each value goes into the program's own environment and
    /// <paramref name="flag"/> NAME tells it to pass that one in, so no value is on its command line.
    /// </summary>
    private static Dictionary<string, string>? ByName(IReadOnlyDictionary<string, string>? inside, Dictionary<string, string>? environment, List<string> arguments, string flag)
    {
        if (inside is not { Count: > 0 })
        {
            return environment;
        }

        environment ??= [];
        foreach ((string key, string value) in inside)
        {
            environment[key] = value;
            arguments.AddRange([flag, key]);
        }

        return environment;
    }

    private static TransportSpec Spec(string program, List<string> arguments, string description, string name, TimeSpan timeout, Dictionary<string, string>? environment) => new()
    {
        Program = program,
        Arguments = arguments,
        Environment = environment,
        Description = description,
        Name = name,
        TimeoutMilliseconds = (long)timeout.TotalMilliseconds,
    };
}
