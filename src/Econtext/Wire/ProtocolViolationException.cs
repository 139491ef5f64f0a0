namespace Econtext.Wire;

/// <summary>A peer sent something the protocol does not allow; the stream it came from is broken.</summary>
internal sealed class ProtocolViolationException(string message) : Exception(message);
