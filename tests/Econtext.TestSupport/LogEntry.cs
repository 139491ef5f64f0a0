using Microsoft.Extensions.Logging;

namespace Econtext.TestSupport;

/// <summary>One log record as the master's logger factory received it.</summary>
public sealed record LogEntry(string Category, LogLevel Level, EventId EventId, string Message, Exception? Exception);
