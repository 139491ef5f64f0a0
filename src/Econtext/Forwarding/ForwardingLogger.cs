using Econtext.Wire;
using Microsoft.Extensions.Logging;

namespace Econtext.Forwarding;

/// <summary>A child's logger: each enabled record goes to the master as FORWARD_LOG.</summary>
internal sealed class ForwardingLogger(Router router, string category, LogLevel minimum) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum && logLevel != LogLevel.None;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel))
        {
            return;
        }

        // A record must fit in one message: the parent breaks the stream over a larger frame. The
        // text and the exception share the room, each cut (and saying so) only if it needs more.
        int room = router.LargestPayloadChunk / 2;
        var frame = new FrameBuilder(256);
        LogRecordCodec.Write(frame, logLevel, eventId.Id, category, Fit(formatter(state, exception), room), exception is null ? null : Fit(exception.ToString(), room));
        router.Outbox.SendUpward(Handles.ForwardLog, frame);
    }

    private static string Fit(string text, int maxBytes)
    {
        if (text.Length <= maxBytes / 3 || System.Text.Encoding.UTF8.GetByteCount(text) <= maxBytes)
        {
            return text;
        }

        // Three bytes a character at most (a surrogate pair is four for two), with room for the note.
        int keep = (maxBytes - 200) / 3;
        if (char.IsHighSurrogate(text[keep - 1]))
        {
            keep--;
        }

        return text[..keep] + $" [cut: {text.Length} characters in all, more than one message may carry (RouterOptions.MaxMessageSize)]";
    }
}
