namespace Econtext.Cli.Running;

/// <summary>One line that says why a host failed, without a stack trace.</summary>
internal static class Failures
{
    public static string Describe(Exception exception) => exception switch
    {
        ConnectionException ex => $"{ex.Kind}: {OneLine(ForTheTool(ex.Message))}",
        RemoteException ex => $"{ex.RemoteType}: {OneLine(ex.Message)}",
        EcontextException ex => OneLine(ex.Message),
        OperationCanceledException => "cancelled",
        _ => $"{exception.GetType().Name}: {OneLine(exception.Message)}",
    };

    /// <summary>The library's hint names its option; a person at the command line sets it with -T.</summary>
    private static string ForTheTool(string message) =>
        message.Replace("raise ConnectTimeout", "give more time with -T/--timeout SECONDS", StringComparison.Ordinal);

    /// <summary>Transport messages quote ssh's output over several lines; a summary row or an error line keeps them on one.</summary>
    public static string OneLine(string message) =>
        string.Join(" ", message.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0));
}
