namespace Econtext.Wire;

[Flags]
internal enum MessageFlags : byte
{
    None = 0,

    /// <summary>The payload is a serialized remote exception, not a value.</summary>
    Error = 1,

    /// <summary>The handle the message was sent to is closed or unroutable; the payload is the reason in UTF-8.</summary>
    Dead = 2,

    /// <summary>One item of a streamed result; more messages follow on the same reply handle.</summary>
    More = 4,
}
