using System.Text.Json;
using System.Text.Json.Nodes;
using Econtext.Cli.Running;

namespace Econtext.Cli.Output;

/// <summary>The <c>--json</c> object of one host: host, status, elapsedMs, error and failure, then the command's own fields.</summary>
internal static class OutcomeJson
{
    private static readonly JsonSerializerOptions s_compact = new(JsonSerializerDefaults.Web);

    public static string Line(HostOutcome outcome)
    {
        var json = new JsonObject
        {
            ["host"] = outcome.Host.Name,
            ["status"] = Status(outcome.State),
            ["elapsedMs"] = Math.Round(outcome.Elapsed.TotalMilliseconds, 1),
        };
        if (outcome.State != HostState.Ok)
        {
            json["error"] = outcome.Summary;
        }

        if (outcome.Reconnected is string reason)
        {
            json["reconnected"] = reason;
        }

        if (outcome.Failure is ConnectionFailure failure)
        {
            json["failure"] = failure.ToString();
        }

        if (outcome.Json is JsonObject fields)
        {
            foreach ((string key, JsonNode? value) in fields)
            {
                json[key] = value?.DeepClone();
            }
        }

        return json.ToJsonString(s_compact);
    }

    public static string Status(HostState state) => state switch
    {
        HostState.Ok => "ok",
        HostState.Failed => "failed",
        HostState.Unreachable => "unreachable",
        _ => state.ToString().ToLowerInvariant(),
    };
}
