using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Econtext.Cli.Running;
using Econtext.Cli.Targets;

namespace Econtext.Cli.Agent;

/// <summary>
/// The agent's keys for warm contexts: everything that shapes how a host is reached, so that a changed
/// inventory variable or option never reuses a context made for another. A become password is part of the
/// key only as a keyed hash (the key is shown by <c>econtext agent status</c>, never the password).
/// </summary>
internal static class ConnectionKey
{
    public static string Login(TargetHost host, RunSettings settings, string? viaKey, byte[]? salt = null)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("name", host.Name);
            json.WriteString("connection", host.Connection.ToString().ToLowerInvariant());
            json.WriteString("address", host.ConnectAddress);
            if (host.Port is int port)
            {
                json.WriteNumber("port", port);
            }

            WriteIf(json, "user", host.User ?? settings.User);
            WriteIf(json, "identity", host.IdentityFile ?? settings.IdentityFile);
            WriteIf(json, "sshConfig", settings.SshConfigFile);
            WriteList(json, "sshOptions", settings.SshOptions);
            WriteList(json, "sshArgs", host.SshArgs);
            WriteIf(json, "hostKeys", settings.HostKeyPolicy?.ToString());
            WriteIf(json, "dotnet", settings.DotnetPath);
            WriteIf(json, "program", host.ProgramPath);
            WriteList(json, "engineArgs", host.EngineArgs);
            WriteMap(json, "engineEnvironment", host.EngineEnvironment);
            WriteMap(json, "containerEnvironment", host.ContainerEnvironment);
            WriteIf(json, "workingDirectory", host.WorkingDirectory);
            if (host.Pid is int pid)
            {
                json.WriteNumber("pid", pid);
            }

            WriteList(json, "nsenterArgs", host.NsenterArgs);
            WriteIf(json, "via", viaKey);

            // -k: a context logged in with one password is never lent to a command that typed another.
            WriteIf(json, "password", settings.SshPassword is string password ? Secret(salt ?? [], password) : null);
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    public static string Become(string loginKey, string method, string user, string? password, byte[] salt)
    {
        string secret = password is null ? "none" : Secret(salt, password);
        return $"{loginKey} become {method}:{user} password:{secret}";
    }

    private static string Secret(byte[] salt, string password) => Convert.ToHexString(HMACSHA256.HashData(salt, Encoding.UTF8.GetBytes(password)))[..16];

    /// <summary>What <c>agent status</c> shows of a key: how the host is reached, without variables' values or hashes.</summary>
    public static string Summary(string key)
    {
        int become = key.IndexOf(" become ", StringComparison.Ordinal);
        string login = become < 0 ? key : key[..become];
        string suffix = become < 0 ? string.Empty : " " + key[(become + 1)..key.IndexOf(" password:", become, StringComparison.Ordinal)];
        try
        {
            using JsonDocument document = JsonDocument.Parse(login);
            JsonElement root = document.RootElement;
            string connection = root.GetProperty("connection").GetString()!;
            string user = root.TryGetProperty("user", out JsonElement u) ? u.GetString() + "@" : string.Empty;
            string address = root.GetProperty("address").GetString()!;
            string port = root.TryGetProperty("port", out JsonElement p) ? ":" + p.GetInt32() : string.Empty;
            string via = root.TryGetProperty("via", out JsonElement v) ? " via " + Summary(v.GetString()!) : string.Empty;
            string options = root.EnumerateObject().Count(o => o.Name is "sshConfig" or "sshOptions" or "sshArgs" or "identity" or "engineArgs" or "engineEnvironment" or "containerEnvironment" or "nsenterArgs" or "hostKeys") is int n and > 0
                ? $" (+{n} option{(n == 1 ? "" : "s")})"
                : string.Empty;
            return $"{connection}://{user}{address}{port}{via}{suffix}{options}";
        }
        catch (JsonException)
        {
            return "(unreadable key)";
        }
    }

    private static void WriteIf(Utf8JsonWriter json, string name, string? value)
    {
        if (value is not null)
        {
            json.WriteString(name, value);
        }
    }

    private static void WriteList(Utf8JsonWriter json, string name, IReadOnlyList<string> values)
    {
        if (values.Count == 0)
        {
            return;
        }

        json.WriteStartArray(name);
        foreach (string value in values)
        {
            json.WriteStringValue(value);
        }

        json.WriteEndArray();
    }

    private static void WriteMap(Utf8JsonWriter json, string name, IReadOnlyDictionary<string, string>? values)
    {
        if (values is null || values.Count == 0)
        {
            return;
        }

        json.WriteStartObject(name);
        foreach ((string key, string value) in values.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            json.WriteString(key, value);
        }

        json.WriteEndObject();
    }
}
