namespace Econtext;

/// <summary>
/// An exception thrown by the called method in another context. The remote exception's type is not
/// instantiated here (the wire never names a type to create); its name, message and stack are kept.
/// </summary>
public sealed class RemoteException : EcontextException
{
    /// <summary>Creates the exception from what the remote context reported; only Econtext raises it.</summary>
    /// <param name="remoteType">Full name of the exception type thrown remotely.</param>
    /// <param name="message">The remote exception's message.</param>
    /// <param name="remoteStackTrace">The stack trace as the remote runtime printed it, if it sent one.</param>
    /// <param name="contextName">Name of the context the exception was thrown in.</param>
    /// <param name="innerException">The remote inner exception, rebuilt the same way, or null.</param>
    internal RemoteException(string remoteType, string message, string? remoteStackTrace, string contextName, RemoteException? innerException)
        : base(message, innerException)
    {
        RemoteType = remoteType;
        RemoteStackTrace = remoteStackTrace;
        ContextName = contextName;
    }

    /// <summary>Full name of the exception type thrown remotely, e.g. <c>System.IO.FileNotFoundException</c>.</summary>
    public string RemoteType { get; }

    /// <summary>The stack trace as the remote runtime printed it.</summary>
    public string? RemoteStackTrace { get; }

    /// <summary>Name of the context the exception was thrown in.</summary>
    public string ContextName { get; }

    /// <summary>Remote inner exceptions beyond the first (an <see cref="AggregateException"/> has several).</summary>
    public IReadOnlyList<RemoteException> OtherInnerExceptions { get; init; } = [];

    /// <summary>The remote stack trace (<see cref="RemoteStackTrace"/>): where the exception was thrown, not where it was rethrown here.</summary>
    public override string? StackTrace => RemoteStackTrace;

    /// <summary>The remote type, context, message, inner exceptions and remote stack trace, laid out as <see cref="Exception.ToString"/> lays out a local one.</summary>
    public override string ToString()
    {
        var text = new System.Text.StringBuilder();
        text.Append(RemoteType).Append(" in context ").Append(ContextName).Append(": ").Append(Message);
        if (InnerException is not null)
        {
            text.Append(" ---> ").Append(InnerException.ToString()).AppendLine().Append("   --- End of inner exception stack trace ---");
        }

        if (!string.IsNullOrEmpty(RemoteStackTrace))
        {
            text.AppendLine().Append(RemoteStackTrace);
        }

        return text.ToString();
    }
}
