using System.Threading.Channels;

namespace Econtext.IntegrationTests.Remote;

/// <summary>Runs in a context: calls that stay open until cancelled, so an attacker can aim at their reply handle.</summary>
public static class Holding
{
    /// <summary>Keeps a call with a ChannelWriter parameter open (its items flow to the caller) until cancelled.</summary>
    public static async Task<int> WriterOpenAsync(ChannelWriter<int> output, CancellationToken cancellationToken)
    {
        await output.WriteAsync(1, cancellationToken);
        await Task.Delay(Timeout.Infinite, cancellationToken);
        return 0;
    }
}
