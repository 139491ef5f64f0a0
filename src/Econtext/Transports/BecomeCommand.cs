namespace Econtext.Transports;

/// <summary>
/// Command lines for becoming another user: sudo, su and doas. Each runs with a pseudo-terminal as
/// its controlling terminal, where it asks for a password (and which `Defaults requiretty` wants);
/// the protocol stays on pipes.
/// </summary>
internal static class BecomeCommand
{
    /// <summary>Our own sudo prompt (-p), so it cannot be mistaken for anything the target prints.</summary>
    public const string SudoPrompt = "econtext-sudo-password:";

    public static TransportSpec Sudo(SudoOptions options, string stage0, string name)
    {
        var arguments = new List<string>(options.SudoArgs);
        if (options.Password is null)
        {
            // Fail at once with "a password is required" instead of waiting at a prompt.
            arguments.Add("-n");
        }

        arguments.AddRange(["-p", SudoPrompt, "-H", "-u", options.User, "--", "/bin/sh", "-c", stage0]);
        return Spec(options.SudoPath, arguments, "sudo", name, options.ConnectTimeout, options.Password, SudoPrompt);
    }

    public static TransportSpec Su(SuOptions options, string stage0, string name) =>

        // su runs the target's login shell with -c, which may be fish or csh: the portable form.
        Spec(options.SuPath, [options.User, "-c", SshCommand.PortableCommand(stage0)], "su", name, options.ConnectTimeout, options.Password, prompt: null);

    public static TransportSpec Doas(DoasOptions options, string stage0, string name)
    {
        var arguments = new List<string>();
        if (options.Password is null)
        {
            arguments.Add("-n");
        }

        arguments.AddRange(["-u", options.User, "/bin/sh", "-c", stage0]);
        return Spec(options.DoasPath, arguments, "doas", name, options.ConnectTimeout, options.Password, prompt: null);
    }

    private static TransportSpec Spec(string program, List<string> arguments, string description, string name, TimeSpan timeout, string? password, string? prompt) => new()
    {
        Program = program,
        Arguments = arguments,
        Description = description,
        Name = name,
        TimeoutMilliseconds = (long)timeout.TotalMilliseconds,
        PasswordMode = PasswordMode.Terminal,
        Password = password,
        PasswordPrompt = prompt,
        UseTerminal = true,
    };
}
