using Microsoft.Extensions.Logging;

namespace Econtext.IntegrationTests.Infrastructure;

/// <summary>
/// A logger provider that keeps only the lengths of the records of one category, not their text, so
/// a test can receive megabytes of output and still measure what the master itself holds; it
/// completes <see cref="Ended"/> at the first record equal to the end marker.
/// </summary>
public sealed class LineLengthRecorder(string category, string endMarker) : ILoggerProvider, ILoggerFactory
{
    private readonly object _lock = new();
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<int> _lengths = [];
    private readonly List<string> _tails = [];

    public Task Ended => _ended.Task;

    /// <summary>Length of each record of the category before the end marker, in order.</summary>
    public IReadOnlyList<int> Lengths
    {
        get
        {
            lock (_lock)
            {
                return [.. _lengths];
            }
        }
    }

    /// <summary>The last 80 characters of each of those records.</summary>
    public IReadOnlyList<string> Tails
    {
        get
        {
            lock (_lock)
            {
                return [.. _tails];
            }
        }
    }

    public ILogger CreateLogger(string categoryName) => new Recorder(this, categoryName);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    private void Add(string text)
    {
        if (text == endMarker)
        {
            _ended.TrySetResult();
            return;
        }

        lock (_lock)
        {
            _lengths.Add(text.Length);
            _tails.Add(text[Math.Max(0, text.Length - 80)..]);
        }
    }

    private sealed class Recorder(LineLengthRecorder owner, string name) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (name == owner.CategoryName)
            {
                owner.Add(formatter(state, exception));
            }
        }
    }

    private string CategoryName => category;
}
