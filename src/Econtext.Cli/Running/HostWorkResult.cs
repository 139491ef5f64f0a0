using System.Text.Json.Nodes;

namespace Econtext.Cli.Running;

/// <summary>What a command's work on one connected host produced.</summary>
/// <param name="Succeeded">False makes the host count as failed (a non-zero exit code, say) without an exception.</param>
/// <param name="Summary">One short line for the progress display and the summary.</param>
/// <param name="Json">The command's own fields for the host's <c>--json</c> object.</param>
internal sealed record HostWorkResult(bool Succeeded, string Summary, JsonObject Json);
