using System.Text.Json.Nodes;
using Econtext.Cli.Running;

namespace Econtext.Cli.Commands;

/// <summary>
/// A copy or fetch that failed on a host for a reason of the files themselves (no such file, not
/// allowed, disk full): the host fails with the message alone, which names the path and the
/// context; the name of the .NET exception that carried it means nothing to the person who typed
/// the command. Anything else (a lost connection) is left to the runner.
/// </summary>
internal static class TransferFailures
{
    public static async Task<HostWorkResult> RunAsync(Func<Task<HostWorkResult>> work)
    {
        try
        {
            return await work().ConfigureAwait(false);
        }
        catch (Exception ex) when (IsAboutFiles(ex))
        {
            string message = Failures.OneLine(ex.Message);
            return new HostWorkResult(false, message, new JsonObject { ["changed"] = false });
        }
    }

    private static bool IsAboutFiles(Exception ex) => ex switch
    {
        IOException or UnauthorizedAccessException => true,
        RemoteException remote => remote.RemoteType.StartsWith("System.IO.", StringComparison.Ordinal)
            || remote.RemoteType == "System.UnauthorizedAccessException",
        _ => false,
    };
}
