using System.Text;

namespace Econtext.Cli.Running;

/// <summary>One line that says why a host failed, without a stack trace.</summary>
internal static class Failures
{
    /// <summary>
    /// Exceptions whose message says it all (what failed, and mostly why): their type name adds a word of
    /// .NET to a line a person reads. Others (a NullReferenceException, a script's own exception type) keep
    /// their short name, which is then the useful part.
    /// </summary>
    private static readonly HashSet<string> s_plain =
    [
        "InvalidOperationException", "IOException", "UnauthorizedAccessException", "Win32Exception", "FileNotFoundException",
        "DirectoryNotFoundException", "PathTooLongException", "ArgumentException", "NotSupportedException", "Exception",
        "EndOfStreamException", "TimeoutException", "PlatformNotSupportedException",
    ];

    public static string Describe(Exception exception) => exception switch
    {
        ConnectionException ex => $"{ex.Kind}: {WithCliWords(OneLine(ex.Message))}",
        RemoteException ex => Readable(ex.RemoteType, ex.Message),
        EcontextException ex => OneLine(ex.Message),
        OperationCanceledException => "cancelled",
        _ => Readable(exception.GetType().Name, exception.Message),
    };

    /// <summary>The message, after the exception's short type name unless it is one that adds nothing.</summary>
    public static string Readable(string? typeName, string message)
    {
        string name = typeName is null ? string.Empty : typeName[(typeName.LastIndexOf('.') + 1)..];
        return name.Length == 0 || s_plain.Contains(name) ? OneLine(message) : $"{name}: {OneLine(message)}";
    }

    /// <summary>
    /// The library's advice names its own settings (Password, ConnectTimeout); the tool's user has options.
    /// </summary>
    public static string WithCliWords(string message) => message
        .Replace("none was given: set Password,", "none was given: give it with --become-password-file FILE or -K (--ask-become-pass),", StringComparison.Ordinal)
        .Replace("raise ConnectTimeout", "give more time with -T/--timeout SECONDS", StringComparison.Ordinal)
        .Replace("Check the user, IdentityFile and", "Check the user (-u), the key (--private-key) and", StringComparison.Ordinal);

    /// <summary>
    /// Transport messages quote ssh's output over several lines; a summary row or an error line keeps them
    /// on one. The quoted lines (indented in the message) are put in quotes, so that the transport's words
    /// and ours do not run together ("...Connection refused Nothing accepts...").
    /// </summary>
    public static string OneLine(string message)
    {
        var line = new StringBuilder();
        var quoted = new List<string>();
        foreach (string raw in message.Split('\n'))
        {
            string text = raw.Trim();
            if (text.Length == 0)
            {
                continue;
            }

            if (raw.Length > 0 && raw[0] is ' ' or '\t')
            {
                quoted.Add(text);
                continue;
            }

            Flush();
            Append(text);
        }

        if (quoted.Count > 0)
        {
            Append('"' + string.Join(" / ", quoted) + '"');
        }

        return line.ToString();

        void Flush()
        {
            if (quoted.Count > 0)
            {
                Append('"' + string.Join(" / ", quoted) + "\".");
                quoted.Clear();
            }
        }

        void Append(string text)
        {
            if (line.Length > 0)
            {
                line.Append(' ');
            }

            line.Append(text);
        }
    }
}
