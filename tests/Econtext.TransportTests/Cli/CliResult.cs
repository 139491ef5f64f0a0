using System.Text.Json.Nodes;

namespace Econtext.TransportTests.Cli;

/// <summary>How one run of the econtext tool ended.</summary>
public sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    /// <summary>The <c>--json</c> objects on stdout, one per line.</summary>
    public IReadOnlyList<JsonObject> JsonLines =>
        [.. Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonNode.Parse(line)!.AsObject())];

    /// <summary>The JSON object of one host; fails the test when there is not exactly one.</summary>
    public JsonObject Host(string name) => Assert.Single(JsonLines, o => (string?)o["host"] == name);

    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
}
