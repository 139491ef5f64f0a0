using Econtext.Cli.Running;
using Econtext.Cli.Scripting;
using Econtext.Cli.Targets;

namespace Econtext.Cli.Commands;

/// <summary>
/// Runs a command's body and turns failures into one line on stderr and exit code 1, without a stack
/// trace: a bad command line, inventory or script, or a failure outside any one host (a host's own
/// failure is reported by the run and makes the exit code 2 or 4). Set ECONTEXT_DEBUG=1 to get the
/// full exception as well.
/// </summary>
internal static class CommandErrors
{
    public const int Failed = 1;

    /// <summary>Ansible's exit code for a user interrupt ("User interrupted execution").</summary>
    public const int Cancelled = 99;

    public static async Task<int> RunAsync(Func<CancellationToken, Task<int>> body, CancellationToken cancellationToken)
    {
        // System.CommandLine installs its Ctrl-C handler only once the action has returned its task; until then
        // SIGINT kills the process outright. Return it at once, so a Ctrl-C during the synchronous start of a
        // command (compiling eval's C#) is a user interrupt too.
        await Task.Yield();
        try
        {
            return await body(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Report("user interrupted execution; the hosts' work was stopped", null);
            return Cancelled;
        }
        catch (UsageException ex)
        {
            Report(ex.Message + " (see --help)", null);
            return Failed;
        }
        catch (ScriptCompilationException ex)
        {
            // The compiler's own format, one error per line, so editors can jump to them.
            foreach (var error in ex.Errors)
            {
                CliSession.Current.Error.WriteLine(error.ToString());
            }

            Report(ex.Errors.Count == 0 ? ex.Message : $"the C# did not compile ({ex.Errors.Count} error{(ex.Errors.Count == 1 ? "" : "s")}); nothing was run", null);
            return Failed;
        }
        catch (InventoryException ex)
        {
            Report(ex.Message, ex);
            return Failed;
        }
        catch (RemoteException ex)
        {
            Report($"in context {ex.ContextName}: {Failures.Readable(ex.RemoteType, ex.Message)}", ex);
            return Failed;
        }
        catch (EcontextException ex)
        {
            Report(ex.Message, ex);
            return Failed;
        }
        catch (Exception ex)
        {
            Report($"unexpected error: {Failures.Readable(ex.GetType().Name, ex.Message)} (ECONTEXT_DEBUG=1 shows where)", ex);
            return Failed;
        }
    }

    private static void Report(string message, Exception? exception)
    {
        CliSession.Current.Error.WriteLine("econtext: " + Failures.WithCliWords(Failures.OneLine(message)));
        if (exception is not null && CliSession.Current.Variable("ECONTEXT_DEBUG") is "1" or "true")
        {
            CliSession.Current.Error.WriteLine(exception.ToString());
        }
    }
}
