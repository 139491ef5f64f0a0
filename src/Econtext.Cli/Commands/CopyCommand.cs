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
        "econtext copy -i hosts.ini web ./site/ /srv/www     # a directory: only changed files travel",
        "econtext copy -i hosts.ini all motd /etc/motd --json",
    ];

    public static Command Create()
    {
        Argument<string[]> words = CommandWords.CreateArgument("[TARGETS] SRC DEST", "Where to copy to (default: a local context), the local file or directory, and the path on each target (ending in / for \"into this directory\").");
        var owner = new Option<bool>("--preserve-owner")
        {
            Description = "Give the copies the local files' numeric owner and group (needs root on the target, e.g. with --become).",
        };
        var always = new Option<bool>("--always")
        {
            Description = "Copy even where the target already has a file with the same size and SHA-256.",
        };
        var command = new Command("copy", "Copy a local file or directory to every target. Each file is written under a temporary name and renamed, keeps its mode and time, and is skipped where the target already has it.")
        {
            words,
            owner,
            always,
        };
        var hosts = new HostCommandOptions();
        hosts.AddTo(command);

        command.SetAction((parseResult, cancellationToken) => CommandErrors.RunAsync(
            token =>
            {
                (string? targets, string source, string destination) = TransferWords.Split("copy", CommandWords.Read(parseResult, words), "econtext copy web1,web2 ./app.conf /etc/app.conf");
                var options = new FileTransferOptions { PreserveOwner = parseResult.GetValue(owner), SkipIfSame = !parseResult.GetValue(always) };
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

        // As Ansible's copy: a destination ending in / is a directory, made if missing, that the file goes into.
        string? makeDirectory = null;
        if (!directory && destination.EndsWith('/'))
        {
            makeDirectory = destination;
            destination += Path.GetFileName(fullSource);
        }

        IReadOnlyList<HostOutcome> outcomes = await HostRunner.RunAsync(
            settings,
            async (host, context, progress, token) =>
            {
                if (makeDirectory is not null)
                {
                    await context.CallAsync(() => RemotePaths.CreateDirectory(makeDirectory), token).ConfigureAwait(false);
                }

                if (directory)
                {
                    DirectoryTransferResult tree = await context.PushDirectoryAsync(fullSource, destination, options, token).ConfigureAwait(false);
                    return Tree(tree);
                }

                FileTransferResult file = await context.PushFileAsync(fullSource, destination, options, token).ConfigureAwait(false);
                return Single(file);
            },
            HostCommandOptions.View(settings, streamsOutput: false),
            cancellationToken).ConfigureAwait(false);
        return HostRunner.ExitCode(outcomes);
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
