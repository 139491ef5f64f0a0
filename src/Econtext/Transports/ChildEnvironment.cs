using System.Collections;

namespace Econtext.Transports;

/// <summary>The environment a spawned child gets: ours, as .NET code sees it, with the caller's changes.</summary>
internal static class ChildEnvironment
{
    /// <summary>Our environment plus <paramref name="overrides"/>, which win.</summary>
    /// <exception cref="ArgumentException">A name is empty or holds '=' or NUL, or a value holds NUL.</exception>
    public static Dictionary<string, string> Merge(IReadOnlyDictionary<string, string>? overrides)
    {
        // .NET keeps its own copy of the environment (SetEnvironmentVariable does not touch libc's
        // environ), so this, like Process.Start, passes what .NET code sees.
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            if (entry.Key is string key && entry.Value is string value)
            {
                environment[key] = value;
            }
        }

        if (overrides is not null)
        {
            foreach ((string key, string value) in overrides)
            {
                if (key.Length == 0 || key.Contains('=', StringComparison.Ordinal) || key.Contains('\0', StringComparison.Ordinal) || value.Contains('\0', StringComparison.Ordinal))
                {
                    throw new ArgumentException($"Invalid environment variable '{key}'.", nameof(overrides));
                }

                environment[key] = value;
            }
        }

        return environment;
    }

    /// <summary>The "NAME=value" strings execve takes.</summary>
    public static List<string> ToEntries(Dictionary<string, string> environment)
    {
        var entries = new List<string>(environment.Count);
        foreach ((string key, string value) in environment)
        {
            entries.Add(key + "=" + value);
        }

        return entries;
    }
}
