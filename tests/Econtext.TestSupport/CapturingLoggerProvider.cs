using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Econtext.TestSupport;

/// <summary>
/// Captures every record written through loggers of the factory it is added to, and lets tests wait
/// for a matching record (an event, not a sleep).
/// </summary>
public sealed class CapturingLoggerProvider : ILoggerProvider
{
    private readonly List<LogEntry> _entries = [];
    private readonly List<(Func<LogEntry, bool> Match, TaskCompletionSource<LogEntry> Done)> _waiters = [];
    private readonly ConcurrentDictionary<string, CapturingLogger> _loggers = new(StringComparer.Ordinal);

    public IReadOnlyList<LogEntry> Entries
    {
        get
        {
            lock (_entries)
            {
                return [.. _entries];
            }
        }
    }

    /// <summary>The text of every record captured so far, in order.</summary>
    public IReadOnlyList<string> Messages => [.. Entries.Select(e => e.Message)];

    /// <summary>
    /// The lowest level the loggers report as enabled. Records of lower levels are still captured if
    /// someone logs them anyway, which is how a test sees a record that should have been filtered.
    /// </summary>
    public LogLevel EnabledFrom { get; init; } = LogLevel.Trace;

    /// <summary>
    /// Called with every record on the thread that logs it, before the logger returns: for a test
    /// that must act at an exact point of the router's work (its receive loop waits meanwhile).
    /// </summary>
    public Action<LogEntry>? Observer { get; set; }

    /// <summary>A Microsoft.Extensions.Logging factory with this provider and every level enabled.</summary>
    public ILoggerFactory CreateFactory() => LoggerFactory.Create(builder => builder.SetMinimumLevel(LogLevel.Trace).AddProvider(this));

    /// <summary>A bare factory over this provider, without the framework's filtering in between.</summary>
    public ILoggerFactory CreateUnfilteredFactory() => new UnfilteredFactory(this);

    public ILogger CreateLogger(string categoryName) => _loggers.GetOrAdd(categoryName, c => new CapturingLogger(this, c));

    /// <summary>Completes with the first record, already captured or still to come, that matches.</summary>
    public Task<LogEntry> WaitForAsync(Func<LogEntry, bool> match)
    {
        lock (_entries)
        {
            foreach (LogEntry entry in _entries)
            {
                if (match(entry))
                {
                    return Task.FromResult(entry);
                }
            }

            var done = new TaskCompletionSource<LogEntry>(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((match, done));
            return done.Task;
        }
    }

    /// <summary>Waits for a record of <paramref name="category"/> whose message is exactly <paramref name="message"/>.</summary>
    public Task<LogEntry> WaitForLineAsync(string category, string message) =>
        WaitForAsync(e => e.Category == category && e.Message == message);

    public void Dispose()
    {
    }

    private void Add(LogEntry entry)
    {
        Observer?.Invoke(entry);
        lock (_entries)
        {
            _entries.Add(entry);
            for (int i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Match(entry))
                {
                    _waiters[i].Done.TrySetResult(entry);
                    _waiters.RemoveAt(i);
                }
            }
        }
    }

    private sealed class CapturingLogger(CapturingLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None && logLevel >= owner.EnabledFrom;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Add(new LogEntry(category, logLevel, eventId, formatter(state, exception), exception));
    }

    private sealed class UnfilteredFactory(CapturingLoggerProvider provider) : ILoggerFactory
    {
        public void AddProvider(ILoggerProvider provider)
        {
        }

        public ILogger CreateLogger(string categoryName) => provider.CreateLogger(categoryName);

        public void Dispose()
        {
        }
    }
}
