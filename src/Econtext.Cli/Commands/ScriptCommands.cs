using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Econtext.Cli.Running;
using Econtext.Cli.Scripting;

namespace Econtext.Cli.Commands;

/// <summary>
/// <c>econtext eval [TARGETS] 'C#'</c> and <c>econtext run [TARGETS] script.csx</c>: C# compiled once here,
/// before anything connects, sent to every target as an in-memory assembly and run there; each host's
/// value is printed as JSON.
/// </summary>
internal static class ScriptCommands
{
    public static IReadOnlyList<string> EvalExamples { get; } =
    [
        "econtext eval 'Environment.ProcessorCount'",
        "econtext eval web1,web2 'File.ReadAllLines(\"/etc/os-release\").First()'",
        "econtext eval -i hosts.ini db 'var d = new DriveInfo(\"/\"); return d.AvailableFreeSpace / (1 << 30);'",
        "econtext eval -i hosts.yml all --json 'new { Environment.MachineName, Load = File.ReadAllText(\"/proc/loadavg\") }'",
    ];

    public static IReadOnlyList<string> RunExamples { get; } =
    [
        "econtext run check.csx",
        "econtext run -i hosts.ini web --become audit.csx --json",
    ];

    public static Command CreateEval() => Create(
        "eval",
        "[TARGETS] CODE",
        "Where to run (default: a local context) and a C# expression, or statements that may await and return a value.",
        "Compile a C# expression or statements once, here, and run them on every target. The value is printed per host as JSON. "
        + "Usual namespaces are imported (System, System.IO, System.Linq, System.Net, System.Diagnostics, System.Text, System.Threading.Tasks, Econtext...).",
        words => ScriptSource.ForEval(words),
        "econtext eval web1,web2 'Environment.MachineName'");

    public static Command CreateRun() => Create(
        "run",
        "[TARGETS] SCRIPT",
        "Where to run (default: a local context) and a .csx file: using directives, methods and statements; return gives the value.",
        "Compile a C# script file once, here, and run it on every target. The value it returns is printed per host as JSON.",
        path => File.Exists(CliSession.Current.FullPath(path))
            ? ScriptSource.FromFile(CliSession.Current.FullPath(path))
            : throw new UsageException($"run: the script {path} does not exist here. For example: econtext run web1 ./check.csx"),
        "econtext run web1,web2 ./check.csx");

    private static Command Create(string name, string helpName, string wordsDescription, string description, Func<string, ScriptSource> source, string example)
    {
        Argument<string[]> words = CommandWords.CreateArgument(helpName, wordsDescription);
        var command = new Command(name, description) { words };
        var hosts = new HostCommandOptions();
        hosts.AddTo(command);

        command.SetAction((parseResult, cancellationToken) => CommandErrors.RunAsync(
            token =>
            {
                IReadOnlyList<string> all = CommandWords.Read(parseResult, words).All;
                (string? targets, string text) = all.Count switch
                {
                    1 => ((string?)null, all[0]),
                    2 => (all[0], all[1]),
                    _ => throw new UsageException($"{name} takes {helpName}, got {all.Count} words; quote the code as one word. For example: {example}"),
                };

                // Compiled before the targets are even resolved: a typo costs no connection.
                CompiledScript script = new ScriptCompiler().Compile(source(text));
                return RunAsync(hosts.Read(parseResult, targets), script, token);
            },
            cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(RunSettings settings, CompiledScript script, CancellationToken cancellationToken)
    {
        IReadOnlyList<HostOutcome> outcomes = await HostRunner.RunAsync(
            settings,
            async (host, context, progress, token) =>
            {
                string json = await script.CallAsync(context, token).ConfigureAwait(false);
                JsonNode? value;
                try
                {
                    value = JsonNode.Parse(json);
                }
                catch (JsonException)
                {
                    value = JsonValue.Create(json);
                }

                return new HostWorkResult(true, json, new JsonObject { ["value"] = value });
            },
            HostCommandOptions.View(settings, streamsOutput: true),
            cancellationToken).ConfigureAwait(false);
        return HostRunner.ExitCode(outcomes);
    }
}
