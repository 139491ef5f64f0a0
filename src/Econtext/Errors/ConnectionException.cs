namespace Econtext;

/// <summary>A context could not be started. The message quotes what the transport said and how to fix it.</summary>
public sealed class ConnectionException : EcontextException
{
    public ConnectionException(ConnectionFailure kind, string contextName, string message, IReadOnlyList<string> transportOutput, Exception? innerException = null)
        : base(message, innerException)
    {
        Kind = kind;
        ContextName = contextName;
        TransportOutput = transportOutput;
    }

    public ConnectionFailure Kind { get; }

    /// <summary>The name the context would have had.</summary>
    public string ContextName { get; }

    /// <summary>The transport's last lines of output (stderr and anything before the bootstrap marker), verbatim.</summary>
    public IReadOnlyList<string> TransportOutput { get; }
}
