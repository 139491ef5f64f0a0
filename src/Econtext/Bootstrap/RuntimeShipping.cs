using System.Text;
using Econtext.Transports;
using Microsoft.Extensions.Logging;

namespace Econtext.Bootstrap;

/// <summary>The master's side of shipping its runtime to a target without one (docs/protocol.md §1.1).</summary>
internal static class RuntimeShipping
{
    /// <summary>
    /// Stage 0 found no dotnet and asks which runtime we would send: this process's own, pruned, if
    /// the target's platform can run it. If the target's cache lacks it, stage 0 asks again and the
    /// archive follows on its stdin. Returns the next marker.
    /// </summary>
    public static async Task<string> AnswerQueryAsync(Router router, TransportProcess transport, string marker, string name)
    {
        string platform = marker[Stage0.RuntimeQueryMarker.Length..].Trim();
        string? refusal = RuntimeArchive.Unsuitable(platform);
        RuntimeArchive? archive = null;
        if (refusal is null)
        {
            try
            {
                long packing = System.Diagnostics.Stopwatch.GetTimestamp();
                archive = await RuntimeArchive.Local.ConfigureAwait(false);
                router.Log.LogDebug("runtime {Runtime} ready to ship after {Elapsed:0} ms", archive.Name, System.Diagnostics.Stopwatch.GetElapsedTime(packing).TotalMilliseconds);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException or System.Text.Json.JsonException)
            {
                refusal = $"this side's runtime cannot be shipped: {ex.Message}";
            }
        }

        string answer = archive?.Name ?? "-" + refusal!.ReplaceLineEndings(" ");
        try
        {
            await transport.Input.WriteAsync(Encoding.UTF8.GetBytes(answer + "\n")).ConfigureAwait(false);
            await transport.Input.FlushAsync().ConfigureAwait(false);
        }
        catch (IOException)
        {
            // Stage 0 is gone; its exit status and last words say why.
        }

        marker = await Task.Run(transport.ReadUntilMarker, CancellationToken.None).ConfigureAwait(false);
        if (marker != Stage0.RuntimeSendMarker || archive is null)
        {
            return marker;
        }

        router.Log.LogInformation("{Context}: the target has no .NET; sending runtime {Runtime} ({Bytes} bytes, {Files} files)", name, archive.Name, archive.Bytes.Length, archive.Files);
        try
        {
            await transport.Input.WriteAsync(Encoding.ASCII.GetBytes(archive.Bytes.Length.ToString(System.Globalization.CultureInfo.InvariantCulture) + "\n")).ConfigureAwait(false);
            await transport.Input.WriteAsync(archive.Bytes).ConfigureAwait(false);
            await transport.Input.FlushAsync().ConfigureAwait(false);
            router.Statistics.CountRuntimeShipped(archive.Bytes.Length);
        }
        catch (IOException)
        {
        }

        return await Task.Run(transport.ReadUntilMarker, CancellationToken.None).ConfigureAwait(false);
    }
}
