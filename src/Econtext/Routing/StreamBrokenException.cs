namespace Econtext.Routing;

/// <summary>A send on a stream that is already broken; carries the stream's first failure.</summary>
internal sealed class StreamBrokenException(string reason) : Exception(reason)
{
    public string Reason { get; } = reason;
}
