using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Econtext.Cli.Remote;
using Econtext.Cli.Running;

namespace Econtext.Cli.Commands;

/// <summary><c>econtext copy [TARGETS] SRC DEST</c>: push a local file or directory to every target.</summary>
internal static class CopyCommand
{
    public static IReadOnlyList<string> Examples { get; } =
    [
        "econtext copy app.tar.gz /tmp/                      # to a local context: /tmp/app.tar.gz",
        "econtext copy web1,web2 nginx.conf /etc/nginx/nginx.conf --become",
        "econtext copy -i hosts.ini web ./site/ /srv/www     # what is in site: /srv/www/...; only changed files travel",
        "econtext copy -i hosts.ini web ./site /srv/www      # site itself: /srv/www/site/...",
        "econtext copy -i hosts.ini all motd /etc/motd --json",
    ];

    public static Command Create()
    {
        Argument<string[]> words = CommandWords.CreateArgument("[TARGETS] SRC DEST", "Where to copy to (default: a local context), the local file or directory, and the path on each target. As Ansible's copy: a file goes into DEST when DEST ends in / or is a directory; a directory SRC goes into DEST/NAME, or with a trailing / (site/) only what is in it goes into DEST.");
        var owner = new Option<bool>("--preserve-owner")
        {
            Description = "Give the copies the local files' numeric owner and group (needs root on the target, e.g. with --become).",
        };
        var always = new Option<bool>("--always")
        {
            Description = "Copy even where the target already has a file with the same size and SHA-256.",
        };
        var mode = new Option<string?>("--mode")
        {
            Description = "The copied files' permission bits, in octal (0644), or \"preserve\" for the local files' own (directories too). Default, as Ansible's copy: a file that replaces another keeps that one's; new files and directories get the target's umask default (0644, 0755).",
        };
        var command = new Command("copy", "Copy a local file or directory to every target, following links. Each file is written under a temporary name and renamed, keeps its time, and is skipped where the target already has it.")
        {
            words,
            owner,
            always,
            mode,
        };
        var hosts = new HostCommandOptions();
        hosts.AddTo(command);

        command.SetAction((parseResult, cancellationToken) => CommandErrors.RunAsync(
            token =>
            {
                (string? targets, string source, string destination) = TransferWords.Split("copy", CommandWords.Read(parseResult, words), "econtext copy web1,web2 ./app.conf /etc/app.conf");
                var options = ModeOptions(parseResult.GetValue(mode)) with { PreserveOwner = parseResult.GetValue(owner), SkipIfSame = !parseResult.GetValue(always) };
                return RunAsync(hosts.Read(parseResult, targets), source, destination, options, token);
            },
            cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(RunSettings settings, string source, string destination, FileTransferOptions options, CancellationToken cancellationToken)
    {
        string fullSource = CliSession.Current.FullPath(source);
        bool directory = Directory.Exists(fullSource);
        if (!directory && !System.IO.File.Exists(fullSource))
        {
            throw new UsageException($"copy: {source} is neither a file nor a directory here. Give an existing local path as SRC.");
        }

        // As Ansible's copy: site/ is what is in site, site is the directory itself, DEST/site.
        if (directory && !source.EndsWith('/'))
        {
            destination = destination.TrimEnd('/') + "/" + Path.GetFileName(fullSource.TrimEnd('/'));
        }

        string name = Path.GetFileName(fullSource);
        IReadOnlyList<HostOutcome> outcomes = await HostRunner.RunAsync(
            settings,
            (host, context, progress, token) => TransferFailures.RunAsync(async () =>
            {
                if (directory)
                {
                    DirectoryTransferResult tree = await context.PushDirectoryAsync(fullSource, destination, options, token).ConfigureAwait(false);
                    return Tree(tree);
                }

                // A DEST ending in / or naming a directory there: the file goes into it.
                string path = await context.CallAsync(() => RemotePaths.FileDestination(destination, name), token).ConfigureAwait(false);
                FileTransferResult file = await context.PushFileAsync(fullSource, path, options, token).ConfigureAwait(false);
                return Single(file);
            }),
            HostCommandOptions.View(settings, streamsOutput: false),
            cancellationToken).ConfigureAwait(false);
        return HostRunner.ExitCode(outcomes);
    }

    /// <summary>
    /// --mode as Ansible's copy takes mode=: none leaves each file's mode to the target (what a
    /// replaced file had, else the umask's default), "preserve" keeps the local ones, octal sets them.
    /// </summary>
    private static FileTransferOptions ModeOptions(string? mode)
    {
        if (mode is null)
        {
            return new FileTransferOptions { PreserveMode = false };
        }

        if (mode == "preserve")
        {
            return new FileTransferOptions { PreserveMode = true };
        }

        string digits = mode.StartsWith("0o", StringComparison.OrdinalIgnoreCase) ? mode[2..] : mode;
        if (digits.Length is < 1 or > 4 || !digits.All(c => c is >= '0' and <= '7'))
        {
            throw new UsageException($"copy: --mode {mode} is not an octal mode. Give one such as --mode 0644 (or --mode preserve to keep the local files' modes).");
        }

        return new FileTransferOptions { PreserveMode = false, Mode = (UnixFileMode)Convert.ToInt32(digits, 8) };
    }

    public static HostWorkResult Single(FileTransferResult result) => new(
        true,
        result.Skipped
            ? $"{result.Destination}: unchanged"
            : string.Create(CultureInfo.InvariantCulture, $"{result.Destination}: {result.Bytes:N0} bytes in {result.Elapsed.TotalMilliseconds:0} ms"),
        new JsonObject
        {
            ["destination"] = result.Destination,
            ["bytes"] = result.Bytes,
            ["changed"] = !result.Skipped,
        });

    public static HostWorkResult Tree(DirectoryTransferResult result) => new(
        result.NotCopied.Count == 0,
        string.Create(
            CultureInfo.InvariantCulture,
            $"{result.Destination}: {result.FilesCopied} copied, {result.FilesSkipped} unchanged, {result.Bytes:N0} bytes")
            + (result.NotCopied.Count == 0 ? "" : $"; not copied: {string.Join(", ", result.NotCopied.Take(5))}"),
        new JsonObject
        {
            ["destination"] = result.Destination,
            ["bytes"] = result.Bytes,
            ["filesCopied"] = result.FilesCopied,
            ["filesUnchanged"] = result.FilesSkipped,
            ["notCopied"] = new JsonArray([.. result.NotCopied.Select(n => (JsonNode?)n)]),
            ["changed"] = result.FilesCopied > 0,
        });
}
