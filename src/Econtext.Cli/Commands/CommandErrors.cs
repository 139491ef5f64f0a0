namespace Econtext.Cli.Commands;

/// <summary>
/// Runs a command's body and turns failures into one line on stderr and an exit code, without a stack
/// trace. Set ECONTEXT_DEBUG=1 to get the full exception as well.
/// </summary>
internal static class CommandErrors
{
    public const int Failed = 1;

    public const int Cancelled = 130;

    public static async Task<int> RunAsync(Func<CancellationToken, Task<int>> body, CancellationToken cancellationToken)
    {
        try
        {
            return await body(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Report("cancelled", null);
            return Cancelled;
        }
        catch (RemoteException ex)
        {
            Report($"{ex.RemoteType} in context {ex.ContextName}: {ex.Message}", ex);
            return Failed;
        }
        catch (EcontextException ex)
        {
            Report(ex.Message, ex);
            return Failed;
        }
        catch (Exception ex)
        {
            Report($"unexpected {ex.GetType().Name}: {ex.Message}", ex);
            return Failed;
        }
    }

    private static void Report(string message, Exception? exception)
    {
        Console.Error.WriteLine("econtext: " + OneLine(message));
        if (exception is not null && Environment.GetEnvironmentVariable("ECONTEXT_DEBUG") is "1" or "true")
        {
            Console.Error.WriteLine(exception.ToString());
        }
    }

    /// <summary>Messages such as a ConnectionException's quote the transport's output over several lines; keep them on one.</summary>
    private static string OneLine(string message) =>
        string.Join(" ", message.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0));
}
