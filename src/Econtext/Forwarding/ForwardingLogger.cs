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

        var frame = new FrameBuilder(256);
        LogRecordCodec.Write(frame, logLevel, eventId.Id, category, formatter(state, exception), exception?.ToString());
        router.SendUpward(Handles.ForwardLog, frame);
    }
}
