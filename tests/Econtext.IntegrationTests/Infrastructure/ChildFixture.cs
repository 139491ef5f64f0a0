using Microsoft.Extensions.Logging;

namespace Econtext.IntegrationTests.Infrastructure;

/// <summary>
/// One router with a capturing logger factory and one local context, shared by the tests of a class
/// to save start-up time. Tests that kill, shut down or reconfigure a context make their own.
/// </summary>
public class ChildFixture : IAsyncLifetime
{
    private ILoggerFactory? _factory;

    public CapturingLoggerProvider Logs { get; } = new();

    public Router Router { get; private set; } = null!;

    public Context Context { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _factory = Logs.CreateFactory();
        Router = new Router(Configure(new RouterOptions { LoggerFactory = _factory }));
        Context = await Router.LocalAsync(new LocalOptions { Name = "shared-" + Guid.NewGuid().ToString("N")[..8] })
            .WaitAsync(TimeSpan.FromSeconds(45));
    }

    /// <summary>Lets a derived fixture change the router's options.</summary>
    protected virtual RouterOptions Configure(RouterOptions options) => options;

    public async Task DisposeAsync()
    {
        await Router.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(60));
        _factory?.Dispose();
    }
}
