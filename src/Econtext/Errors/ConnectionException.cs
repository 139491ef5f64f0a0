namespace Econtext;

/// <summary>A context could not be started. The message quotes what the transport said and how to fix it.</summary>
public sealed class ConnectionException : EcontextException
{
    /// <summary>Creates the exception; only Econtext raises it, with the transport's own words in <paramref name="message"/>.</summary>
    /// <param name="kind">Which failure it is.</param>
    /// <param name="contextName">The name the context would have had.</param>
    /// <param name="message">What failed and how to fix it.</param>
    /// <param name="transportOutput">The transport's last lines of output, verbatim.</param>
    /// <param name="innerException">The error that stopped the start, if one did (a process that could not be started).</param>
    internal ConnectionException(ConnectionFailure kind, string contextName, string message, IReadOnlyList<string> transportOutput, Exception? innerException = null)
        : base(message, innerException)
    {
        Kind = kind;
        ContextName = contextName;
        TransportOutput = transportOutput;
    }

    /// <summary>
    /// Which failure it is, read from what the transport printed, for code that reacts to one kind
    /// (asks for a password after <see cref="ConnectionFailure.PasswordRequired"/>, say). The
    /// message says the same to a person.
    /// </summary>
    public ConnectionFailure Kind { get; }

    /// <summary>The name the context would have had.</summary>
    public string ContextName { get; }

    /// <summary>The transport's last lines of output (stderr and anything before the bootstrap marker), verbatim.</summary>
    public IReadOnlyList<string> TransportOutput { get; }
}
