using System.Globalization;

namespace Econtext.Cli.Agent.Client;

/// <summary>
/// The few words the client reads itself, before anything is parsed: which command, <c>--persist</c>,
/// <c>--no-agent</c> and help. Everything else is parsed where the command runs (the agent, or this process).
/// </summary>
internal static class AgentCommandLine
{
    public const string PersistVariable = "ECONTEXT_PERSIST";

    /// <summary>The agent's idle time when neither --persist nor $ECONTEXT_PERSIST says: 10 minutes.</summary>
    public static readonly TimeSpan DefaultPersist = TimeSpan.FromMinutes(10);

    private static readonly HashSet<string> s_hostCommands = new(StringComparer.Ordinal) { "facts", "exec", "eval", "run", "copy", "fetch" };

    public static (AgentMode Mode, TimeSpan Persist) Decide(IReadOnlyList<string> args, Func<string, string?> variable)
    {
        string? command = null;
        string? verb = null;
        bool noAgent = false;
        bool help = false;
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            if (arg == "--")
            {
                break;
            }

            if (arg == "--no-agent")
            {
                noAgent = true;
            }
            else if (arg == "--persist" && i + 1 < args.Count)
            {
                // Its value is not the command (PersistText reads it).
                i++;
            }
            else if ((arg == "--stdin" && i + 1 < args.Count && args[i + 1] == "-") || arg == "--stdin=-")
            {
                // exec's input from this terminal or pipe: the agent cannot read it, so the command runs here.
                noAgent = true;
            }
            else if (arg is "-h" or "-?" or "--help" or "--version")
            {
                help = true;
            }
            else if (!arg.StartsWith('-') && command is null)
            {
                command = arg;
            }
            else if (!arg.StartsWith('-') && command == "agent" && verb is null)
            {
                verb = arg;
            }
        }

        string? persistText = PersistText(args, variable);
        TimeSpan? persist = persistText is null ? DefaultPersist : ParseDuration(persistText);
        if (help || persist is null)
        {
            // Help, and a --persist this cannot read, get the parser's own answer in this process.
            return (AgentMode.InProcess, persist ?? DefaultPersist);
        }

        if (command == "agent")
        {
            return verb switch
            {
                "status" => (AgentMode.Status, persist.Value),
                "stop" => (AgentMode.Stop, persist.Value),
                _ => (AgentMode.InProcess, persist.Value),
            };
        }

        bool warm = !noAgent && persist.Value > TimeSpan.Zero && command is not null && s_hostCommands.Contains(command);
        return (warm ? AgentMode.Agent : AgentMode.InProcess, persist.Value);
    }

    /// <summary>The --persist the command line (or $ECONTEXT_PERSIST) gives, if any and if readable.</summary>
    public static TimeSpan? ExplicitPersist(IReadOnlyList<string> args, Func<string, string?> variable) =>
        PersistText(args, variable) is string text ? ParseDuration(text) : null;

    /// <summary>The last --persist before <c>--</c>, else <c>$ECONTEXT_PERSIST</c>, as written; null for neither.</summary>
    private static string? PersistText(IReadOnlyList<string> args, Func<string, string?> variable)
    {
        string? text = null;
        for (int i = 0; i < args.Count && args[i] != "--"; i++)
        {
            if (args[i] == "--persist" && i + 1 < args.Count)
            {
                text = args[++i];
            }
            else if (args[i].StartsWith("--persist=", StringComparison.Ordinal))
            {
                text = args[i]["--persist=".Length..];
            }
        }

        return text ?? variable(PersistVariable);
    }

    /// <summary>A duration as a person writes it: <c>0</c>, <c>90</c> (seconds), <c>30s</c>, <c>10m</c>, <c>2h</c>, <c>1d</c>; null for anything else.</summary>
    public static TimeSpan? ParseDuration(string text)
    {
        text = text.Trim();
        if (text.Length == 0)
        {
            return null;
        }

        double unit = char.ToLowerInvariant(text[^1]) switch
        {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86400,
            _ => 0,
        };
        string number = unit == 0 ? text : text[..^1];
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || value < 0 || double.IsNaN(value) || double.IsInfinity(value))
        {
            return null;
        }

        double seconds = value * (unit == 0 ? 1 : unit);
        return seconds > TimeSpan.MaxValue.TotalSeconds / 2 ? null : TimeSpan.FromSeconds(seconds);
    }

    /// <summary>The duration in the form <see cref="ParseDuration"/> reads.</summary>
    public static string Format(TimeSpan duration) => ((long)Math.Ceiling(duration.TotalSeconds)).ToString(CultureInfo.InvariantCulture) + "s";
}
