using Econtext.Cli.Running;
using Econtext.Cli.Targets;

namespace Econtext.Cli.Agent;

/// <summary>
/// A run's contexts in the agent: lent from its pool under <see cref="ConnectionKey"/>s, returned (not shut
/// down) after each host. A host reached with become is two pooled contexts, the login and the become one
/// inside it, and the login one stays lent to the become one while it lives, so the pool never shuts down a
/// login context under a become context in use; the --via host is pooled the same way under the logins
/// through it. The agent holds the connections itself, so ssh's own ControlPersist master is not started.
/// </summary>
internal sealed class WarmContexts : IHostContexts
{
    private readonly ContextPool _pool;
    private readonly RunSettings _settings;
    private readonly TargetConnector _connector;
    private readonly byte[] _salt;

    public WarmContexts(Router router, ContextPool pool, RunSettings settings, byte[] salt)
    {
        _pool = pool;
        _settings = settings with { ControlPersist = TimeSpan.Zero };
        _connector = new TargetConnector(router, _settings);
        _salt = salt;
    }

    public async Task<HostLease> AcquireAsync(TargetHost host, CancellationToken cancellationToken)
    {
        bool become = _connector.NeedsBecome(host);
        ContextLease? login = null;
        string loginKey;
        if (host.IsLocal && become)
        {
            loginKey = ConnectionKey.Login(host, _settings, viaKey: null, _salt);
        }
        else
        {
            (login, loginKey) = await LoginAsync(host, cancellationToken).ConfigureAwait(false);
            if (!become)
            {
                return Lease(login, login.ReconnectReason);
            }
        }

        try
        {
            (string method, string user, string? password) = _connector.BecomeOf(host);
            ContextLease inner = await _pool.AcquireAsync(
                ConnectionKey.Become(loginKey, method, user, password, _salt),
                token => _connector.BecomeAsync(host, login?.Context, token),
                cancellationToken).ConfigureAwait(false);
            HoldFor(inner, login);
            return Lease(inner, inner.ReconnectReason ?? login?.ReconnectReason);
        }
        catch
        {
            login?.Dispose();
            throw;
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private static HostLease Lease(ContextLease lease, string? reconnectReason) =>
        new(lease.Context, reconnectReason, interrupted =>
        {
            if (interrupted)
            {
                return lease.DiscardAsync();
            }

            lease.Dispose();
            return Task.CompletedTask;
        });

    /// <summary>Keeps <paramref name="outer"/> lent while a context just started inside it lives; else returns it now.</summary>
    private static void HoldFor(ContextLease inner, ContextLease? outer)
    {
        if (outer is null)
        {
            return;
        }

        if (inner.Started)
        {
            inner.Context.Disconnected.Register(outer.Dispose);
        }
        else
        {
            outer.Dispose();
        }
    }

    private async Task<(ContextLease Lease, string Key)> LoginAsync(TargetHost host, CancellationToken cancellationToken)
    {
        ContextLease? via = null;
        string? viaKey = null;
        if (_settings.Via is TargetHost viaHost && !host.IsLocal)
        {
            viaKey = ConnectionKey.Login(viaHost, _settings, viaKey: null, _salt);
            via = await _pool.AcquireAsync(viaKey, _connector.ConnectViaAsync, cancellationToken).ConfigureAwait(false);
        }

        string key = ConnectionKey.Login(host, _settings, viaKey, _salt);
        try
        {
            ContextLease login = await _pool.AcquireAsync(key, token => _connector.ConnectLoginAsync(host, via?.Context, token), cancellationToken).ConfigureAwait(false);
            HoldFor(login, via);
            return (login, key);
        }
        catch
        {
            via?.Dispose();
            throw;
        }
    }
}
