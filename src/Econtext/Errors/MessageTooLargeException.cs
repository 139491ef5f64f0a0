namespace Econtext;

/// <summary>A call or its result would exceed <see cref="RouterOptions.MaxMessageSize"/>; nothing was sent.</summary>
public sealed class MessageTooLargeException : EcontextException
{
    /// <summary>Creates the exception; only Econtext raises it.</summary>
    /// <param name="what">What would have been sent, for the message (<c>the call to Tools.Hash on web1</c>).</param>
    /// <param name="size">Bytes the message would have needed, header excluded.</param>
    /// <param name="maxMessageSize">The limit it exceeds.</param>
    internal MessageTooLargeException(string what, long size, int maxMessageSize)
        : base($"{what} needs a {size}-byte message, over the maximum of {maxMessageSize} bytes. Send less per call (split it), or raise RouterOptions.MaxMessageSize.")
    {
        Size = size;
        MaxMessageSize = maxMessageSize;
    }

    /// <summary>Bytes the message would have needed, header excluded.</summary>
    public long Size { get; }

    /// <summary>The limit it exceeds, in bytes: the <see cref="RouterOptions.MaxMessageSize"/> of the router that refused it.</summary>
    public int MaxMessageSize { get; }
}
