using System.Text;
using System.Text.Json;

namespace Econtext.Cli.Agent.Client;

/// <summary>
/// A command as the client received it: its words, the directory and environment it was typed in, and what
/// its standard streams are, so that the agent runs it as this process would have. Written as JSON by hand
/// (no reflection), so that the native client can carry it.
/// </summary>
internal sealed record AgentRequest
{
    /// <summary>The build of the agent the client expects (<see cref="AgentLaunch.Identity"/>).</summary>
    public required string Identity { get; init; }

    public required IReadOnlyList<string> Args { get; init; }

    public required string WorkingDirectory { get; init; }

    public required IReadOnlyDictionary<string, string> Environment { get; init; }

    public bool OutputIsTerminal { get; init; }

    public bool ErrorIsTerminal { get; init; }

    public bool InputIsTerminal { get; init; }

    /// <summary>The terminal's width in columns when stdout is one, else 0.</summary>
    public int Width { get; init; }

    public byte[] ToJson()
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("identity", Identity);
            json.WriteStartArray("args");
            foreach (string arg in Args)
            {
                json.WriteStringValue(arg);
            }

            json.WriteEndArray();
            json.WriteString("cwd", WorkingDirectory);
            json.WriteStartObject("env");
            foreach ((string name, string value) in Environment)
            {
                json.WriteString(name, value);
            }

            json.WriteEndObject();
            json.WriteBoolean("stdoutTerminal", OutputIsTerminal);
            json.WriteBoolean("stderrTerminal", ErrorIsTerminal);
            json.WriteBoolean("stdinTerminal", InputIsTerminal);
            json.WriteNumber("width", Width);
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <exception cref="InvalidDataException">Not a request this build writes.</exception>
    public static AgentRequest FromJson(byte[] utf8)
    {
        try
        {
            using JsonDocument document = JsonDocument.Parse(utf8);
            JsonElement root = document.RootElement;
            var env = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (JsonProperty variable in root.GetProperty("env").EnumerateObject())
            {
                env[variable.Name] = variable.Value.GetString() ?? string.Empty;
            }

            return new AgentRequest
            {
                Identity = root.GetProperty("identity").GetString() ?? string.Empty,
                Args = [.. root.GetProperty("args").EnumerateArray().Select(a => a.GetString() ?? string.Empty)],
                WorkingDirectory = root.GetProperty("cwd").GetString() ?? "/",
                Environment = env,
                OutputIsTerminal = root.GetProperty("stdoutTerminal").GetBoolean(),
                ErrorIsTerminal = root.GetProperty("stderrTerminal").GetBoolean(),
                InputIsTerminal = root.GetProperty("stdinTerminal").GetBoolean(),
                Width = root.GetProperty("width").GetInt32(),
            };
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException("not an econtext request: " + ex.Message, ex);
        }
    }

    /// <summary>For logs: the command's words, without the environment.</summary>
    public override string ToString() => new StringBuilder("econtext").AppendJoin(' ', Args.Prepend(string.Empty)).ToString();
}
