using System.Diagnostics;
using System.Net.Sockets;
using System.Security.Cryptography;
using Econtext.Cli.Agent.Client;

namespace Econtext.Cli.Agent;

/// <summary>
/// The agent: one per user, started by the first command that needs it, holding warm contexts between
/// commands. It listens on a Unix socket in the user's private directory (<see cref="AgentDirectory"/>), serves
/// only its own uid (SO_PEERCRED), runs each command as <see cref="AgentSession"/>, and ends after
/// <see cref="Persist"/> without a command, when asked (<c>agent stop</c>), or when a client of another build
/// comes, shutting down every context it keeps.
/// </summary>
internal sealed class AgentServer
{
    private readonly AgentDirectory _directory;
    private readonly FileStream _lock;
    private readonly Socket _listener;
    private readonly Timer _idleTimer;
    private readonly TaskCompletionSource<string> _stop = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _gate = new();
    private readonly List<Task> _sessions = [];
    private int _active;
    private long _served;
    private long _lastEnd = Stopwatch.GetTimestamp();
    private TimeSpan _persist;

    private AgentServer(AgentDirectory directory, FileStream lockFile, Socket listener, TimeSpan persist)
    {
        _directory = directory;
        _lock = lockFile;
        _listener = listener;
        _persist = persist;
        Identity = AgentLaunch.IdentityOf(typeof(AgentServer).Assembly.Location);
        Pool = new ContextPool(new ContextPoolOptions { IdleTimeout = persist });
        _idleTimer = new Timer(static s => ((AgentServer)s!).CheckIdle(), this, Timeout.Infinite, Timeout.Infinite);
    }

    public Router Router { get; } = new();

    public ContextPool Pool { get; }

    /// <summary>A secret of this agent's life, for the keyed hashes of become passwords in pool keys.</summary>
    public byte[] Salt { get; } = RandomNumberGenerator.GetBytes(32);

    public string Identity { get; }

    public DateTimeOffset Started { get; } = DateTimeOffset.UtcNow;

    public string SocketPath => _directory.Socket;

    public long CommandsServed => Interlocked.Read(ref _served);

    /// <summary>How long the agent stays without a command; the newest command's --persist sets it.</summary>
    public TimeSpan Persist
    {
        get => _persist;
        set
        {
            lock (_gate)
            {
                _persist = value;
            }

            Pool.IdleTimeout = value;
        }
    }

    /// <summary>Runs the agent until it ends; 0 also when another agent already runs (the client then talks to that one).</summary>
    public static async Task<int> RunAsync(TimeSpan persist)
    {
        UnixCalls.NewSession();
        var directory = AgentDirectory.Locate(Environment.GetEnvironmentVariable);
        directory.Prepare();
        FileStream lockFile;
        try
        {
            // On Unix, FileShare.None is an exclusive flock: one agent per directory.
            lockFile = new FileStream(directory.LockFile, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            Log("another agent holds " + directory.LockFile + "; leaving the socket to it");
            return 0;
        }

        File.Delete(directory.Socket);
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(directory.Socket));
        File.SetUnixFileMode(directory.Socket, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        listener.Listen(128);
        var server = new AgentServer(directory, lockFile, listener, persist);
        Log($"pid {Environment.ProcessId} listening on {directory.Socket}; ends after {AgentCommandLine.Format(persist)} without a command");
        return await server.ServeAsync().ConfigureAwait(false);
    }

    /// <summary>Ends the agent: no new connection is taken; the commands running finish; then every context is shut down.</summary>
    public void Stop(string reason) => _stop.TrySetResult(reason);

    internal static void Log(string line) =>
        Console.Error.WriteLine($"{DateTimeOffset.Now:yyyy-MM-dd HH:mm:ss} econtext agent: {line}");

    internal void CommandStarted()
    {
        lock (_gate)
        {
            _active++;
            _served++;
        }
    }

    internal void CommandEnded()
    {
        lock (_gate)
        {
            _active--;
            _lastEnd = Stopwatch.GetTimestamp();
            if (_active == 0)
            {
                _idleTimer.Change(_persist, Timeout.InfiniteTimeSpan);
            }
        }
    }

    private async Task<int> ServeAsync()
    {
        _idleTimer.Change(_persist, Timeout.InfiniteTimeSpan);
        Task accepting = AcceptAsync();
        string reason = await _stop.Task.ConfigureAwait(false);
        Log("stopping: " + reason);

        // Leave the socket first, so that a client from now on starts a new agent.
        _listener.Dispose();
        await accepting.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        File.Delete(_directory.Socket);
        await _lock.DisposeAsync().ConfigureAwait(false);

        Task[] sessions;
        lock (_gate)
        {
            sessions = [.. _sessions];
        }

        await Task.WhenAll(sessions).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await Pool.DisposeAsync().ConfigureAwait(false);
        await Router.DisposeAsync().ConfigureAwait(false);
        Log("stopped");
        return 0;
    }

    private async Task AcceptAsync()
    {
        while (true)
        {
            Socket connection;
            try
            {
                connection = await _listener.AcceptAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                return;
            }

            Task session = Task.Run(() => new AgentSession(this, connection).RunAsync());
            lock (_gate)
            {
                _sessions.RemoveAll(t => t.IsCompleted);
                _sessions.Add(session);
            }
        }
    }

    private void CheckIdle()
    {
        lock (_gate)
        {
            if (_active > 0)
            {
                return;
            }

            TimeSpan idle = Stopwatch.GetElapsedTime(_lastEnd);
            if (idle < _persist)
            {
                _idleTimer.Change(_persist - idle, Timeout.InfiniteTimeSpan);
                return;
            }
        }

        Stop($"no command for {AgentCommandLine.Format(_persist)} (--persist)");
    }
}
