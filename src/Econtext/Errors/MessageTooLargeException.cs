namespace Econtext;

/// <summary>A call or its result would exceed <see cref="RouterOptions.MaxMessageSize"/>; nothing was sent.</summary>
public sealed class MessageTooLargeException : EcontextException
{
    public MessageTooLargeException(string what, long size, int maxMessageSize)
        : base($"{what} needs a {size}-byte message, over the maximum of {maxMessageSize} bytes. Send less per call (split it), or raise RouterOptions.MaxMessageSize.")
    {
        Size = size;
        MaxMessageSize = maxMessageSize;
    }

    public long Size { get; }

    public int MaxMessageSize { get; }
}
