using Microsoft.Extensions.Logging;

namespace Econtext.IntegrationTests.Infrastructure;

/// <summary>For the attack tests: a router of its own per test (its handles and counters start fresh), and a folder for marker files.</summary>
internal sealed class AttackLab : IAsyncDisposable
{
    private readonly ILoggerFactory _factory;

    public AttackLab(int? maxMessageSize = null)
    {
        _factory = Logs.CreateFactory();
        var options = new RouterOptions { LoggerFactory = _factory };
        if (maxMessageSize is { } max)
        {
            options = options with { MaxMessageSize = max };
        }

        Router = new Router(options);
        Directory = Path.Combine(Path.GetTempPath(), "econtext-security-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
    }

    public CapturingLoggerProvider Logs { get; } = new();

    public Router Router { get; }

    public string Directory { get; }

    public string MarkerPath(string tag) => Path.Combine(Directory, tag + "-" + Guid.NewGuid().ToString("N")[..8]);

    /// <summary>Starts a context and makes one call, so the test assembly is loaded there before any attack.</summary>
    public async Task<Context> StartAsync(string role, Context? via = null)
    {
        Context context = await Router.LocalAsync(new LocalOptions { Name = role + "-" + Guid.NewGuid().ToString("N")[..6], Via = via }).WaitAsync(Bound);
        Assert.Equal(context.RemoteProcessId, await context.CallAsync(() => Probe.ProcessId()).WaitAsync(Bound));
        return context;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Router.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        }
        finally
        {
            _factory.Dispose();
            try
            {
                System.IO.Directory.Delete(Directory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
