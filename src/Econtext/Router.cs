using System.Linq.Expressions;
using System.Text;
using Econtext.Bootstrap;
using Econtext.Calls;
using Econtext.Files;
using Econtext.Forwarding;
using Econtext.Loading;
using Econtext.Routing;
using Econtext.Streams;
using Econtext.Transports;
using Econtext.Wire;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Econtext;

/// <summary>
/// One per process. Starts contexts, owns the streams to them, routes messages by context id, and
/// matches replies to calls. In the master, create one with <c>new Router()</c>; in a child the
/// core creates it. Disposing it shuts every context down and leaves no process behind.
/// </summary>
/// <remarks>
/// A facade over the parts, each of which registers the messages it handles, with the policy that
/// guards them, in <see cref="Switch"/>: <see cref="Connector"/> starts contexts,
/// <see cref="Calls"/> issues calls, <see cref="Assemblies"/> moves assemblies, <see cref="FileServer"/>
/// serves shared files (master), <see cref="ChildHost"/> plays the child's role, and all send through
/// <see cref="Outbox"/>. What stays here is the contexts' lifecycle (shutdown, disconnects).
/// </remarks>
[System.Diagnostics.CodeAnalysis.RequiresUnreferencedCode(AotNotes.Calls)]
[System.Diagnostics.CodeAnalysis.RequiresDynamicCode(AotNotes.Calls)]
public sealed partial class Router : IAsyncDisposable
{
    /// <summary>Room left in a message beside a chunk's bytes for its value's framing (sizes, attachment table).</summary>
    private const int ChunkHeadroom = 1024;

    private readonly LockedMap<Context> _contexts = new();
    private readonly LockedMap<TransportProcess> _transports = new();
    private readonly CancellationTokenSource _shuttingDown = new();
    private readonly ILogger _log;
    private readonly RemoteOutput _output;
    private readonly FileServer? _files;
    private readonly LogLevel _childMinLogLevel;
    private int _nextId;
    private int _disposed;

    /// <summary>Creates the master's router.</summary>
    /// <param name="options">Its settings; null takes the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="RouterOptions.MaxMessageSize"/> is under 64 KiB, or the heartbeat settings are out of range.</exception>
    public Router(RouterOptions? options = null)
    {
        Options = options ?? new RouterOptions();
        if (Options.MaxMessageSize < 64 * 1024)
        {
            throw new ArgumentOutOfRangeException(nameof(options), Options.MaxMessageSize, "MaxMessageSize must be at least 64 KiB");
        }

        Heartbeat.Validate(Options, nameof(options));
        Name = "master";
        _log = Options.LoggerFactory?.CreateLogger("Econtext.Router") ?? NullLogger.Instance;
        _output = new RemoteOutput(Options.LoggerFactory);
        Routes = new RouteTable(Id, parent: null, ancestors: []);
        Outbox = new Outbox(Routes, Options.MaxMessageSize, Statistics, _log, ContextName);
        Switch = NewSwitch();
        Credits = new CreditLedger(Outbox, Switch);
        Connector = new Connector(this);
        Calls = new CallIssuer(this);
        Assemblies = new AssemblyPusher(this, () => Preamble.CarriedAssemblies, resolver: null);
        _files = new FileServer(this);
        Switch.Add(Handles.Stdio, Policy.FromBelow, (_, message) => _output.OnStdio(message.Header.Src, ContextName(message.Header.Src), message.Span));
        Switch.Add(Handles.ForwardLog, Policy.FromBelow, OnForwardLog);
        Heartbeat = Heartbeat.Create(Id, Options, _log, KillSilent);
    }

    /// <summary>A child's router, talking to its parent over the given pipe ends.</summary>
    internal Router(ChildConfig config, Stream parentInput, Stream parentOutput, ChildAssemblyResolver resolver)
    {
        Options = new RouterOptions
        {
            MaxMessageSize = config.MaxMessageSize,
            HeartbeatInterval = TimeSpan.FromMilliseconds(config.HeartbeatIntervalMs),
            HeartbeatTimeout = TimeSpan.FromMilliseconds(config.HeartbeatTimeoutMs),
        };
        Id = config.Id;
        Name = config.Name;
        _childMinLogLevel = (LogLevel)config.MinLogLevel;
        var logs = new ForwardingLoggerFactory(this, (LogLevel)config.MinLogLevel);
        CurrentContext.ChildLoggerFactory = logs;
        CurrentContext.ChildRouter = this;
        _log = logs.CreateLogger("Econtext.Child");
        _output = new RemoteOutput(null);
        var parent = new ContextStream(parentInput, parentOutput, config.ParentId, "parent", config.MaxMessageSize);
        Routes = new RouteTable(Id, parent, [.. config.Ancestors, config.ParentId]);
        Outbox = new Outbox(Routes, Options.MaxMessageSize, Statistics, _log, ContextName);
        Switch = NewSwitch();
        Credits = new CreditLedger(Outbox, Switch);
        Connector = new Connector(this);
        Calls = new CallIssuer(this);
        Assemblies = new AssemblyPusher(this, () => Preamble.CarriedAssemblies, resolver);
        Child = new ChildHost(this, parent);
        Heartbeat = Heartbeat.Create(Id, Options, _log, KillSilent);
    }

    /// <summary>The options this router was created with (in a child: the master's limits, carried in its preamble).</summary>
    public RouterOptions Options { get; }

    /// <summary>This router's context id: 0 in the master.</summary>
    public int Id { get; }

    /// <summary>Counters of what this router sent, received, pushed and refused.</summary>
    public RouterStatistics Statistics { get; } = new();

    /// <summary>Contexts this router started and that are still connected.</summary>
    public IReadOnlyCollection<Context> Contexts => _contexts.SnapshotValues().Where(c => c.DisconnectReason is null).ToList();

    internal string Name { get; }

    internal ILogger Log => _log;

    internal RouteTable Routes { get; }

    internal PendingReplies Replies { get; } = new();

    /// <summary>The one send path: every message of this router's own goes out through it.</summary>
    internal Outbox Outbox { get; }

    /// <summary>Every message received goes through here; the parts register their handlers in it.</summary>
    internal MessageSwitch Switch { get; }

    /// <summary>The credit windows of the item streams this router sends (results, channel arguments, file chunks).</summary>
    internal CreditLedger Credits { get; }

    internal Connector Connector { get; }

    internal CallIssuer Calls { get; }

    internal AssemblyPusher Assemblies { get; }

    /// <summary>The child's role; null in the master.</summary>
    internal ChildHost? Child { get; }

    internal Heartbeat? Heartbeat { get; }

    internal CancellationToken ShuttingDown => _shuttingDown.Token;

    /// <summary>The most bytes a chunk of a file may carry so that its message fits <see cref="RouterOptions.MaxMessageSize"/>.</summary>
    internal int LargestPayloadChunk => Options.MaxMessageSize - ChunkHeadroom;

    internal Task ShutdownAsync(Context context, CancellationToken cancellationToken)
    {
        if (context.DisconnectReason is null)
        {
            Outbox.TrySend(context.Id, Handles.Shutdown, Handles.None, MessageFlags.None, new FrameBuilder(0));
        }

        return WaitGoneAsync(context, cancellationToken);
    }

    private async Task WaitGoneAsync(Context context, CancellationToken cancellationToken)
    {
        if (context.Via is not null)
        {
            // Reached through another context: its parent reports it gone (DEL_ROUTE) once it exits,
            // and reaps the process. The stream here is the intermediate's, which must stay up.
            var gone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using (context.Disconnected.Register(() => gone.TrySetResult()))
            {
                if (await Task.WhenAny(gone.Task, Task.Delay(Options.ShutdownGracePeriod, cancellationToken)).ConfigureAwait(false) != gone.Task)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    ForgetContext(context.Id, $"{context.Name} did not report its exit within {Options.ShutdownGracePeriod.TotalSeconds:0.#} s of SHUTDOWN");
                }
            }

            return;
        }

        if (Routes.TryGetChild(context.Id, out ContextStream? stream))
        {
            Task broken = stream.Broken;
            if (await Task.WhenAny(broken, Task.Delay(Options.ShutdownGracePeriod, cancellationToken)).ConfigureAwait(false) != broken)
            {
                cancellationToken.ThrowIfCancellationRequested();
                stream.Break($"{context.Name} did not exit within {Options.ShutdownGracePeriod.TotalSeconds:0.#} s of SHUTDOWN and was terminated");
            }
        }

        if (_transports.TryGetValue(context.Id, out TransportProcess? transport))
        {
            await transport.TerminateAsync(Options.ShutdownGracePeriod).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Shuts down every context this router started, each given <see cref="RouterOptions.ShutdownGracePeriod"/>
    /// to exit before its process is killed, then breaks the remaining streams: their pending calls
    /// fail with <see cref="ContextDisconnectedException"/>. Calling it again does nothing.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _shuttingDown.Cancel();
        Heartbeat?.Dispose();
        var waits = new List<Task>();
        foreach (Context context in _contexts.SnapshotValues())
        {
            waits.Add(ShutdownAsync(context, CancellationToken.None));
        }

        try
        {
            await Task.WhenAll(waits).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _log.LogWarning(ex, "shutting contexts down failed; killing them");
        }

        foreach (TransportProcess transport in _transports.SnapshotValues())
        {
            transport.Dispose();
        }

        foreach (ContextStream stream in Routes.Streams())
        {
            stream.Break("the router was disposed");
        }
    }

    /// <summary>Ends the transport process if it lingers, then frees its descriptors and threads.</summary>
    private async Task ReapAsync(int id, TransportProcess transport)
    {
        try
        {
            await transport.TerminateAsync(Options.ShutdownGracePeriod).ConfigureAwait(false);
            await transport.OutputDrained.WaitAsync(Options.ShutdownGracePeriod).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // Something else holds its stderr open; the descriptors are ours to close regardless.
        }
        finally
        {
            _transports.TryRemove(id, out _);
            transport.Dispose();
        }
    }

    /// <summary>
    /// A context that answered no heartbeat is stopped or hung: ending it at once, not after the
    /// SIGTERM a stopped process cannot act on and two grace periods, frees what it holds here.
    /// </summary>
    private void KillSilent(ContextStream stream)
    {
        if (_transports.TryGetValue(stream.RemoteId, out TransportProcess? transport))
        {
            transport.Kill();
        }
    }

    private void OnStreamBroken(ContextStream stream, string reason)
    {
        int id = stream.RemoteId;
        string detail = reason;
        if (_transports.TryGetValue(id, out TransportProcess? transport))
        {
            detail = $"{reason}; {transport.DescribeEnd(TimeSpan.FromMilliseconds(250))}";
            _ = ReapAsync(id, transport);
        }

        string died = ContextName(id);
        foreach (int behind in stream.IdsBehind())
        {
            ForgetContext(behind, behind == id ? detail : $"{died}, the context it was reached through, is gone: {detail}");
        }
    }

    /// <summary>
    /// A context is gone: drop its route, fail every call waiting on it, and tell the parent (which
    /// tells its own, up to the master), so everything above learns at once.
    /// </summary>
    internal void ForgetContext(int id, string reason)
    {
        Routes.Forget(id);
        Assemblies.Forget(id);
        _contexts.TryRemove(id, out Context? context);
        string name = context?.Name ?? "context " + id;
        if (context is not null)
        {
            context.MarkDisconnected(reason);
            _output.Flush(id, name);
        }

        Replies.FailAll(id, () => new ContextDisconnectedException(name, reason));
        if (Routes.Parent is { IsBroken: false } parent)
        {
            var frame = new FrameBuilder(reason.Length + 16);
            frame.WriteInt32(id);
            frame.WriteBytes(Encoding.UTF8.GetBytes(reason));
            Outbox.SendUpward(parent.RemoteId, Handles.DelRoute, frame);
        }

        _log.LogDebug("{Context} disconnected: {Reason}", name, reason);
    }

    /// <summary>DEL_ROUTE from an immediate child, for a context that lives behind it (never itself or anything else).</summary>
    private void OnDelRoute(ContextStream from, Message message)
    {
        (int id, string reason) = ControlPayloads.ReadDelRoute(message.Span);
        if (id == from.RemoteId || !from.Owns(id))
        {
            Switch.Refuse(from, message, $"DEL_ROUTE for context {id}, which does not live behind {from.Name}");
            return;
        }

        from.RemoveIdBehind(id);
        ForgetContext(id, reason);
    }

    /// <summary>The master's side of <see cref="Context.ShareFiles"/>.</summary>
    internal IDisposable ShareFiles(Context context, string path) =>
        (_files ?? throw new InvalidOperationException("files are shared by the master only; a context fetches them from the master with CurrentContext.FetchFileAsync"))
        .Share(context, path);

    private string ContextName(int id) => _contexts.TryGetValue(id, out Context? context) ? context.Name : "context " + id;

    /// <summary>A context this router started or knows a route to, by id.</summary>
    internal Context? FindContext(int id) => _contexts.GetValueOrDefault(id);

    /// <summary>Context ids come from the master only, so they are unique in the whole tree.</summary>
    internal int AllocateContextId() =>
        Child is null ? Interlocked.Increment(ref _nextId) : throw new InvalidOperationException("only the master allocates context ids");

    /// <summary>
    /// Sends a request of this router's own (<paramref name="handle"/>) to <paramref name="dst"/> with
    /// a fresh reply handle that <paramref name="pending"/> waits on, and returns that handle. If the
    /// request cannot be sent, nothing stays registered and the send's exception propagates.
    /// </summary>
    internal int Request(int dst, int handle, IPendingReply pending, FrameBuilder frame)
    {
        int replyTo = Replies.Register(pending);
        try
        {
            Outbox.Send(dst, handle, replyTo, MessageFlags.None, frame);
            return replyTo;
        }
        catch
        {
            Replies.TryRemove(replyTo);
            throw;
        }
    }

    internal void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

    /// <summary>What a context started from here is told in its preamble.</summary>
    internal ChildConfig ConfigFor(int id, string name) =>
        new(id, Id, name, Options.MaxMessageSize, (int)(Child is null ? _output.MinimumLevel(name) : _childMinLogLevel), [.. Routes.Ancestors])
        {
            HeartbeatIntervalMs = Heartbeat.ToWire(Options).IntervalMs,
            HeartbeatTimeoutMs = Heartbeat.ToWire(Options).TimeoutMs,
        };

    /// <summary>A context this router knows from now on (started here, or through another).</summary>
    internal void AddContext(Context context)
    {
        _contexts[context.Id] = context;
        Assemblies.Track(context.Id);
    }

    /// <summary>A context this router started here: its process, its stream, routed and receiving.</summary>
    internal void Adopt(int id, string name, TransportProcess transport, ContextStream stream)
    {
        _transports[id] = transport;
        Routes.Add(id, stream);
        transport.LateStderr = line => _output.OnTransportLine(name, line);
        Start(stream);
    }

    /// <summary>Starts receiving on <paramref name="stream"/>: every message goes through <see cref="Switch"/>.</summary>
    internal void Start(ContextStream stream) => stream.Start(Switch.Dispatch, OnStreamBroken);

    /// <summary>The contexts this router started, connected or not yet forgotten.</summary>
    internal IReadOnlyList<Context> StartedContexts() => _contexts.SnapshotValues();

    /// <summary>In a child that is exiting: every running call's token (linked to this) is cancelled.</summary>
    internal void CancelShuttingDown() => _shuttingDown.Cancel();

    /// <summary>The switch, with what the router itself handles: route removals and heartbeat answers from its children.</summary>
    private MessageSwitch NewSwitch()
    {
        var table = new MessageSwitch(Routes, Replies, Statistics, _log, Name, ContextName);
        table.Add(Handles.DelRoute, Policy.FromChild, OnDelRoute);

        // Its arrival is the answer (ContextStream.LastHeard).
        table.Add(Handles.HeartbeatAck, Policy.FromChild, (_, _) => { });
        return table;
    }

    private void OnForwardLog(ContextStream from, Message message)
    {
        (LogLevel level, int eventId, string category, string text, string exception) = LogRecordCodec.Read(message.Span);
        _output.OnLog(ContextName(message.Header.Src), level, eventId, category, text, exception);
    }
}
