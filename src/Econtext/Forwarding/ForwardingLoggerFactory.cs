using Microsoft.Extensions.Logging;

namespace Econtext.Forwarding;

/// <summary>The logger factory code running in a child gets: records reach the master's factory.</summary>
internal sealed class ForwardingLoggerFactory(Router router, LogLevel minimum) : ILoggerFactory
{
    public void AddProvider(ILoggerProvider provider)
    {
        // Providers live in the master; a child only forwards.
    }

    public ILogger CreateLogger(string categoryName) => new ForwardingLogger(router, categoryName, minimum);

    public void Dispose()
    {
    }
}
