using System.CommandLine;
using Econtext.Cli.Remote;
using Econtext.Cli.Running;
using Econtext.Cli.Targets;

namespace Econtext.Cli.Commands;

/// <summary><c>econtext fetch [TARGETS] SRC DEST</c>: bring a file or directory back from every target, one folder per host.</summary>
internal static class FetchCommand
{
    public static IReadOnlyList<string> Examples { get; } =
    [
        "econtext fetch -i hosts.ini web /etc/nginx/nginx.conf ./configs   # ./configs/<host>/nginx.conf",
        "econtext fetch web1 /var/log/app ./logs                          # a directory: ./logs/web1/app/...",
        "econtext fetch web1 /etc/hostname ./web1-hostname --flat         # one host: exactly that path",
    ];

    public static Command Create()
    {
        Argument<string[]> words = CommandWords.CreateArgument("[TARGETS] SRC DEST", "Where to fetch from (default: a local context), the path on each target, and the local directory to put it in.");
        var flat = new Option<bool>("--flat")
        {
            Description = "Write to DEST itself instead of DEST/HOST/NAME (one host only, as Ansible's fetch flat=yes).",
        };
        var command = new Command("fetch", "Copy a file or directory from every target into DEST/HOST/NAME on this machine, written atomically, keeping mode and time.")
        {
            words,
            flat,
        };
        var hosts = new HostCommandOptions();
        hosts.AddTo(command);

        command.SetAction((parseResult, cancellationToken) => CommandErrors.RunAsync(
            token =>
            {
                (string? targets, string source, string destination) = TransferWords.Split("fetch", CommandWords.Read(parseResult, words), "econtext fetch web1,web2 /etc/os-release ./facts");
                RunSettings settings = hosts.Read(parseResult, targets);
                if (parseResult.GetValue(flat) && settings.Hosts.Count > 1)
                {
                    throw new UsageException($"--flat writes every host's copy to the same path; it needs one host, and the targets name {settings.Hosts.Count}. Drop --flat to get DEST/HOST/NAME.");
                }

                return RunAsync(settings, source, destination, parseResult.GetValue(flat), token);
            },
            cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(RunSettings settings, string source, string destination, bool flat, CancellationToken cancellationToken)
    {
        string name = Path.GetFileName(source.TrimEnd('/'));
        if (name.Length == 0)
        {
            throw new UsageException("fetch: SRC must name a file or directory, not /. For example: econtext fetch web1 /etc/hosts ./copies");
        }

        IReadOnlyList<HostOutcome> outcomes = await HostRunner.RunAsync(
            settings,
            (host, context, progress, token) => TransferFailures.RunAsync(async () =>
            {
                string local = flat ? CliSession.Current.FullPath(destination) : Path.Combine(CliSession.Current.FullPath(destination), SafeName(host), name);
                string kind = await context.CallAsync(() => RemotePaths.Kind(source), token).ConfigureAwait(false);
                switch (kind)
                {
                    case "directory":
                        return CopyCommand.Tree(await context.FetchDirectoryAsync(source, local, null, token).ConfigureAwait(false));
                    case "file":
                        Directory.CreateDirectory(Path.GetDirectoryName(local)!);
                        return CopyCommand.Single(await context.FetchFileAsync(source, local, null, token).ConfigureAwait(false));
                    case "missing":
                        throw new FileNotFoundException($"{source} does not exist on {host.Name}");
                    default:
                        throw new IOException($"{source} on {host.Name} is neither a file nor a directory");
                }
            }),
            HostCommandOptions.View(settings, streamsOutput: false),
            cancellationToken).ConfigureAwait(false);
        return HostRunner.ExitCode(outcomes);
    }

    /// <summary>A host name as a folder name: never a path of its own, whatever an inventory calls the host.</summary>
    private static string SafeName(TargetHost host)
    {
        string name = string.Concat(host.Name.Select(c => c is '/' or '\0' ? '_' : c));
        return name is "." or ".." ? "_" + name : name;
    }
}
