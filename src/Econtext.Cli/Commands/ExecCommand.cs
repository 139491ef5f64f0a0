using System.CommandLine;
using System.Text;
using System.Text.Json.Nodes;
using Econtext.Cli.Output;
using Econtext.Cli.Remote;
using Econtext.Cli.Running;
using Econtext.Cli.Targets;
using Spectre.Console;

namespace Econtext.Cli.Commands;

/// <summary><c>econtext exec [TARGETS] -- COMMAND [ARGS...]</c>: run a process on every target and stream its output.</summary>
internal static class ExecCommand
{
    /// <summary>With --json the output is collected, not streamed; past this much per stream it is cut.</summary>
    private const int MaxCollectedChars = 1 << 20;

    public static IReadOnlyList<string> Examples { get; } =
    [
        "econtext exec -- uname -a                          # on a local context",
        "econtext exec web1,deploy@web2:2222 -- systemctl is-active nginx",
        "econtext exec -i hosts.ini 'web:!canary' -- df -h /",
        "econtext exec -i hosts.ini all --shell -- 'ls /var/log | wc -l'",
        "econtext exec web1 --become -- id -u",
        "econtext exec -i hosts.ini db -b --become-user postgres -- id -un",
        "econtext exec podman://app@web,chroot:///srv/jail -- cat /etc/os-release",
        "econtext exec --via bastion docker://db --become -- id -u   # docker runs on bastion, sudo in the container",
        "econtext exec -i hosts.yml db --json -- pg_isready | jq .exitCode",
        "econtext exec web1,web2 --stdin app.conf -- tee /tmp/app.conf   # the file as the program's stdin",
        "echo hi | econtext exec web1 --stdin - -- cat",
    ];

    public static Command Create()
    {
        Argument<string[]> words = CommandWords.CreateArgument("[TARGETS] -- COMMAND ARGS", "Where to run (default: a local context) and, after --, the program and its arguments.");
        var shell = new Option<bool>("--shell")
        {
            Description = "Run COMMAND through /bin/sh -c (pipes, globs, variables); by default the program is run directly with ARGS as given.",
        };
        var chdir = new Option<string?>("--chdir")
        {
            Description = "The directory to run in on each target; default: the target user's home (if it exists, else the directory the login started in, else /), or for a container, chroot or namespace the directory it starts in (its working directory, e.g. ansible_podman_working_directory).",
            HelpName = "dir",
        };
        var stdin = new Option<string?>("--stdin")
        {
            Description = "Give the program FILE as its standard input on every host; - for this command's own stdin (read to the end first, then sent to each host). Without it the program's stdin is empty.",
            HelpName = "FILE|-",
        };
        var command = new Command("exec", "Run a process on every target. Each line of its output is printed as it comes, prefixed with the host (\"HOST | line\" on stdout; its stderr as \"HOST ! line\" on stderr); a non-zero exit code is that host's failure.")
        {
            words,
            shell,
            chdir,
            stdin,
        };
        var hosts = new HostCommandOptions();
        hosts.AddTo(command);

        command.SetAction((parseResult, cancellationToken) => CommandErrors.RunAsync(
            token =>
            {
                bool listOnly = parseResult.GetValue<bool>("--list-hosts");
                (string? targets, string[] program) = Split(CommandWords.Read(parseResult, words), parseResult.GetValue(shell), listOnly);
                RunSettings settings = hosts.Read(parseResult, targets);
                return RunAsync(settings, program, parseResult.GetValue(chdir), ReadInput(parseResult.GetValue(stdin)), token);
            },
            cancellationToken));
        return command;
    }

    /// <summary>The targets and the program; with --list-hosts the program may be left out, as nothing runs.</summary>
    private static (string? Targets, string[] Program) Split(CommandWords words, bool shell, bool listOnly = false)
    {
        const string Example = "Write it as: econtext exec [TARGETS] -- COMMAND [ARGS...], e.g. econtext exec web1,web2 -- uptime";
        IReadOnlyList<string> before = words.BeforeDoubleDash;
        IReadOnlyList<string> program;
        string? targets;
        if (words.AfterDoubleDash is IReadOnlyList<string> after)
        {
            if (before.Count > 1)
            {
                throw new UsageException($"exec takes one TARGETS word before --, got {before.Count}: {string.Join(' ', before)}. Separate hosts with commas. {Example}");
            }

            targets = before.Count == 1 ? before[0] : null;
            program = after;
        }
        else if (listOnly && before.Count <= 1)
        {
            return (before.Count == 1 ? before[0] : null, []);
        }
        else
        {
            if (before.Count < 2)
            {
                throw new UsageException($"exec needs a command. {Example}");
            }

            targets = before[0];
            program = before.Skip(1).ToList();
        }

        if (program.Count == 0 && listOnly)
        {
            return (targets, []);
        }

        if (program.Count == 0)
        {
            throw new UsageException($"exec needs a command after --. {Example}");
        }

        if (shell)
        {
            return (targets, ["/bin/sh", "-c", string.Join(' ', program)]);
        }

        return (targets, [.. program]);
    }

    /// <summary>The bytes of --stdin: a file, or this process's stdin for "-"; null without the option.</summary>
    private static byte[]? ReadInput(string? path)
    {
        if (path is null)
        {
            return null;
        }

        if (path == "-")
        {
            // The client runs a command with --stdin - in its own process (AgentCommandLine), so this is the user's stdin.
            if (CliSession.Current.Agent is not null)
            {
                throw new UsageException("--stdin - reads the terminal's input, which the agent does not have; run with --no-agent");
            }

            using var buffer = new MemoryStream();
            using Stream input = System.Console.OpenStandardInput();
            input.CopyTo(buffer);
            return buffer.ToArray();
        }

        string full = CliSession.Current.FullPath(path);
        try
        {
            return File.ReadAllBytes(full);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot read --stdin {path}: {ex.Message}");
        }
    }

    private static async Task<int> RunAsync(RunSettings settings, string[] program, string? chdir, byte[]? input, CancellationToken cancellationToken)
    {
        CliSession session = CliSession.Current;
        int width = settings.Hosts.Max(h => h.Name.Length);
        bool colour = session.Console.Profile.Capabilities.Ansi && session.Console.Profile.Capabilities.ColorSystem != ColorSystem.NoColors;

        // The colour follows stdout's terminal; a plain run knows whether stderr is one too (the agent is not told).
        bool errorColour = colour && (session.Agent is not null || !System.Console.IsErrorRedirected);
        string file = program.Length > 0 ? program[0] : string.Empty;
        string[] arguments = program.Length > 0 ? program[1..] : [];

        IReadOnlyList<HostOutcome> outcomes = await HostRunner.RunAsync(
            settings,
            async (host, context, progress, token) =>
            {
                var stdout = new StringBuilder();
                var stderr = new StringBuilder();
                var lines = new HostLines(session.Out, session.Error, host.Name, width, colour, errorColour);
                int exitCode = -1;
                // ssh lands in the user's home, and so does exec. An engine, chroot or nsenter starts the context in the
                // directory the container or the inventory names, which is where Ansible's commands run there; a
                // container's user often has no home at all.
                string? directory = chdir ?? (host.Connection is TargetConnection.Ssh or TargetConnection.Local ? null : ".");
                IAsyncEnumerable<string> run = input is null
                    ? context.StreamAsync(() => ProcessRunner.RunAsync(file, arguments, directory, CancellationToken.None), token)
                    : RunWithInput(context, file, arguments, directory, input, token);
                await foreach (string encoded in run)
                {
                    ProcessOutput item = ProcessOutput.Decode(encoded);
                    if (item.Kind == ProcessOutputKind.Exit)
                    {
                        exitCode = item.ExitCode;
                        continue;
                    }

                    // An item is a block of lines; the progress display shows the last.
                    string text = item.Text ?? string.Empty;
                    progress.Detail = text[(text.LastIndexOf('\n') + 1)..];
                    if (settings.Json)
                    {
                        Append(item.Kind == ProcessOutputKind.StandardOutput ? stdout : stderr, text);
                        continue;
                    }

                    // The program's stderr goes to ours, as ssh's does: `2>/dev/null` and `| grep` work as on one host.
                    lines.Write(text, isError: item.Kind == ProcessOutputKind.StandardError);
                }

                var json = new JsonObject { ["exitCode"] = exitCode };
                if (settings.Json)
                {
                    json["stdout"] = stdout.ToString();
                    json["stderr"] = stderr.ToString();
                }

                return new HostWorkResult(exitCode == 0, $"exit code {exitCode}", json);
            },
            HostCommandOptions.View(settings, streamsOutput: true),
            cancellationToken).ConfigureAwait(false);
        return HostRunner.ExitCode(outcomes);
    }

    private static IAsyncEnumerable<string> RunWithInput(Context context, string file, string[] arguments, string? directory, byte[] input, CancellationToken token) =>
        context.StreamAsync(() => ProcessRunner.RunWithInputAsync(file, arguments, directory, input, CancellationToken.None), token);

    private static void Append(StringBuilder text, string line)
    {
        if (text.Length < MaxCollectedChars)
        {
            text.Append(line).Append('\n');
            if (text.Length >= MaxCollectedChars)
            {
                text.Append("[output cut at 1 MiB]\n");
            }
        }
    }
}
