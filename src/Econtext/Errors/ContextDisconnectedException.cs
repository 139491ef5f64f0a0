namespace Econtext;

/// <summary>The context, or a hop on the way to it, is gone; the call's outcome is unknown.</summary>
public sealed class ContextDisconnectedException : EcontextException
{
    /// <summary>Creates the exception; only Econtext raises it.</summary>
    /// <param name="contextName">The context the call was meant for.</param>
    /// <param name="reason">What died and how, as the stream that broke reported it.</param>
    internal ContextDisconnectedException(string contextName, string reason)
        : base($"context {contextName} is disconnected: {reason}")
    {
        ContextName = contextName;
        Reason = reason;
    }

    /// <summary>The context the call was meant for.</summary>
    public string ContextName { get; }

    /// <summary>What died and how.</summary>
    public string Reason { get; }
}
