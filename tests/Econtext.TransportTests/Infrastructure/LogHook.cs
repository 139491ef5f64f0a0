using Microsoft.Extensions.Logging;

namespace Econtext.TransportTests.Infrastructure;

/// <summary>
/// A logger factory that runs an action on the logging thread, before the logger returns, for each
/// record whose text contains a given string: a test acts at an exact point of the router's work.
/// </summary>
public sealed class LogHook(string contains, Action<string> act) : ILoggerFactory
{
    public void AddProvider(ILoggerProvider provider)
    {
    }

    public ILogger CreateLogger(string categoryName) => new HookLogger(contains, act);

    public void Dispose()
    {
    }

    private sealed class HookLogger(string contains, Action<string> act) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            string text = formatter(state, exception);
            if (text.Contains(contains, StringComparison.Ordinal))
            {
                act(text);
            }
        }
    }
}
