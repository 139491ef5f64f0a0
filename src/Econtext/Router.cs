using System.Linq.Expressions;
using System.Text;
using Econtext.Bootstrap;
using Econtext.Calls;
using Econtext.Files;
using Econtext.Forwarding;
using Econtext.Loading;
using Econtext.Routing;
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
public sealed class Router : IAsyncDisposable
{
    private readonly LockedMap<ContextStream> _routes = new();
    private readonly LockedMap<IPendingReply> _pending = new();
    private readonly LockedMap<Context> _contexts = new();
    private readonly LockedMap<TransportProcess> _transports = new();
    private readonly LockedMap<TaskCompletionSource<int>> _readyWaiters = new();
    private readonly LockedMap<HashSet<string>> _pushed = new();
    private readonly LockedMap<SemaphoreSlim> _outboundCredits = new();
    private static readonly System.Reflection.MethodInfo s_pumpOut = typeof(Router).GetMethod(nameof(PumpOutAsync), System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic)!;
    private readonly CancellationTokenSource _shuttingDown = new();
    private readonly ILogger _log;
    private readonly RemoteOutput _output;
    private readonly ContextStream? _parent;
    private readonly HashSet<int> _ancestors = [];
    private readonly Dispatcher? _dispatcher;
    private readonly FileServer? _files;
    private readonly ChildAssemblyResolver? _resolver;
    private readonly TaskCompletionSource<string> _childExit = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly LogLevel _childMinLogLevel;
    /// <summary>Over this many bytes queued for a stream, refused frames from it get no DEAD reply.</summary>
    private const long MaxQueuedForRefusals = 1024 * 1024;

    /// <summary>Room left in a message beside a chunk's bytes for its value's framing (sizes, attachment table).</summary>
    private const int ChunkHeadroom = 1024;

    private readonly Heartbeat? _heartbeat;
    private int _nextId;
    private int _nextHandle = Handles.FirstDynamic - 1;
    private int _disposed;
    private AssemblyService? _assemblies;

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
        _files = new FileServer(this);
        _heartbeat = Heartbeat.Create(Id, Options, _log);
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
        _ancestors.UnionWith(config.Ancestors);
        _childMinLogLevel = (LogLevel)config.MinLogLevel;
        _ancestors.Add(config.ParentId);
        _resolver = resolver;
        var logs = new ForwardingLoggerFactory(this, (LogLevel)config.MinLogLevel);
        CurrentContext.ChildLoggerFactory = logs;
        CurrentContext.ChildRouter = this;
        _log = logs.CreateLogger("Econtext.Child");
        _output = new RemoteOutput(null);
        _dispatcher = new Dispatcher(this, _log);
        _parent = new ContextStream(parentInput, parentOutput, config.ParentId, "parent", config.MaxMessageSize);
        resolver.Fetch = FetchAssemblyFromParent;
        _heartbeat = Heartbeat.Create(Id, Options, _log);
    }

    /// <summary>The settings this router was created with (defaults filled in); children run with the same limits.</summary>
    public RouterOptions Options { get; }

    /// <summary>This router's context id: 0 in the master.</summary>
    public int Id { get; }

    internal string Name { get; }

    /// <summary>This router's counters (assemblies pushed, runtimes shipped, bytes sent, messages dropped), read live.</summary>
    public RouterStatistics Statistics { get; } = new();

    internal CancellationToken ShuttingDown => _shuttingDown.Token;

    /// <summary>Transport processes not yet reaped, for tests.</summary>
    internal int TransportCount => _transports.Count;

    /// <summary>Contexts this router started and that are still connected.</summary>
    public IReadOnlyCollection<Context> Contexts => _contexts.SnapshotValues().Where(c => c.DisconnectReason is null).ToList();

    /// <summary>Starts a context in a child process on this machine.</summary>
    /// <param name="options">How to start it; null takes the defaults.</param>
    /// <param name="cancellationToken">Abandons the start.</param>
    /// <returns>The new context, connected and ready for calls.</returns>
    /// <exception cref="ConnectionException">The context could not be started; <see cref="ConnectionException.Kind"/> says why and the message quotes what the transport printed.</exception>
    /// <exception cref="ContextDisconnectedException">The via context went away during the start.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; whatever was started is stopped.</exception>
    public Task<Context> LocalAsync(LocalOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new LocalOptions();
        var spec = new TransportSpec
        {
            Program = "/bin/sh",
            Arguments = ["-c", Stage0Script(options.DotnetPath)],
            Environment = options.Environment?.ToDictionary(),
            Description = "local child (/bin/sh -c <stage 0>)",
            Name = options.Name ?? (options.Via is null ? string.Empty : "local" + ViaSuffix(options.Via)),
            TimeoutMilliseconds = (long)options.ConnectTimeout.TotalMilliseconds,
        };
        return StartContextAsync(spec, options.Via, cancellationToken);
    }

    /// <summary>
    /// Starts a context on another host through OpenSSH's ssh client. Failures are
    /// <see cref="ConnectionException"/>s that quote what ssh said and classify it.
    /// </summary>
    /// <param name="options">The host and how to reach it.</param>
    /// <param name="cancellationToken">Abandons the start.</param>
    /// <returns>The new context, connected and ready for calls.</returns>
    /// <exception cref="ConnectionException">The context could not be started; <see cref="ConnectionException.Kind"/> says why and the message quotes what the transport printed.</exception>
    /// <exception cref="ContextDisconnectedException">The via context went away during the start.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; whatever was started is stopped.</exception>
    public Task<Context> SshAsync(SshOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        string name = options.Name ?? SshCommand.DefaultName(options) + ViaSuffix(options.Via);
        string command = SshCommand.PortableCommand(Stage0Script(options.DotnetPath));
        var spec = new TransportSpec
        {
            Program = options.SshPath,
            Arguments = SshCommand.Arguments(options, command),
            Description = "ssh",
            Name = name,

            // ssh bounds the TCP connect and banner itself (ConnectTimeout); authentication and the
            // remote runtime's start get a further 30 s before the whole attempt is abandoned.
            TimeoutMilliseconds = (long)(options.ConnectTimeout + TimeSpan.FromSeconds(30)).TotalMilliseconds,
            PasswordMode = options.Password is null ? PasswordMode.None : PasswordMode.AskPass,
            Password = options.Password,

            // sshd buffers what arrives before the child reads it, and growing that buffer costs it
            // ~170 ms of CPU per connection for a 1.2 MB preamble here (+35 ms for 0.5 MB): with ssh's
            // own compression off, the core goes deflated.
            DeflateCore = !options.Compression,
        };
        return StartContextAsync(spec, options.Via, cancellationToken);
    }

    /// <summary>Starts a transport here, or inside <paramref name="via"/>, and waits for the new context to be ready.</summary>
    private async Task<Context> StartContextAsync(TransportSpec spec, Context? via, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (via is null)
        {
            using TransportLaunch launch = TransportLaunch.Start(spec);
            return await ConnectAsync(launch.Process, spec.Name, spec.Timeout, spec.DeflateCore, launch.Hints, cancellationToken).ConfigureAwait(false);
        }

        if (via.DisconnectReason is { } gone)
        {
            throw new ContextDisconnectedException(via.Name, gone);
        }

        if (!_routes.TryGetValue(via.Id, out ContextStream? stream))
        {
            throw new ArgumentException($"{via.Name} does not belong to this router", nameof(via));
        }

        int id = AllocateContextId();
        var context = new Context(this, id, spec.Name) { Via = via };
        _contexts[id] = context;
        _pushed[id] = new HashSet<string>(Preamble.CarriedAssemblies, StringComparer.OrdinalIgnoreCase);
        stream.AddIdBehind(id);
        _routes[id] = stream;

        // Every context between here and the spawner must know the new id lives behind the next hop.
        for (Context hop = via; hop.Via is { } above; hop = above)
        {
            var frame = new FrameBuilder(8);
            frame.WriteInt32(id);
            frame.WriteInt32(hop.Id);
            Send(above.Id, Handles.AddRoute, Handles.None, MessageFlags.None, frame);
        }

        // Not cancelled through the call itself: its reply must still come, to say whether a
        // context came up that the caller no longer wants.
        Task<SpawnResult> spawn = via.CallAsync(() => RemoteSpawner.SpawnAsync(spec, id, CancellationToken.None), CancellationToken.None);
        SpawnResult result;
        try
        {
            result = await spawn.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            AbandonSpawn(via, stream, id, spawn);
            throw;
        }
        catch (Exception ex)
        {
            stream.RemoveIdBehind(id);
            ForgetContext(id, "starting it failed: " + ex.Message);
            throw;
        }

        if (result.Failure is { } failure)
        {
            stream.RemoveIdBehind(id);
            ForgetContext(id, result.Message ?? failure.ToString());
            throw new ConnectionException(failure, spec.Name, result.Message ?? failure.ToString(), result.TransportOutput);
        }

        context.RemoteProcessId = result.ProcessId;
        return context;
    }

    /// <summary>
    /// The caller gave up on a connect through <paramref name="via"/>: stop it there, forget the
    /// context here at once, and if it comes up all the same, shut it down. The intermediate replies
    /// only once the new context is routed, and frames are ordered, so the SHUTDOWN sent after a
    /// successful reply always finds it. The id stays behind <paramref name="stream"/> until then,
    /// for the DEL_ROUTE that reports it gone.
    /// </summary>
    private void AbandonSpawn(Context via, ContextStream stream, int id, Task<SpawnResult> spawn)
    {
        try
        {
            via.CallNoReply(() => RemoteSpawner.Cancel(id));
        }
        catch (ContextDisconnectedException)
        {
            // The intermediate is gone, and with it whatever it started.
        }

        ForgetContext(id, "the caller cancelled the connect");
        _ = spawn.ContinueWith(
            done =>
            {
                if (!done.IsCompletedSuccessfully || done.Result.Failure is not null)
                {
                    stream.RemoveIdBehind(id);
                    return;
                }

                var frame = new FrameBuilder(0);
                frame.Complete(id, Id, Id, Handles.Shutdown, Handles.None, MessageFlags.None);
                try
                {
                    stream.Send(frame);
                }
                catch (StreamBrokenException)
                {
                }
            },
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    /// <summary>
    /// In an intermediate, at the master's request: start a transport and become the new context's
    /// parent. A cancel kills what was started (the dispatcher's token also ends with this router).
    /// </summary>
    internal async Task<SpawnResult> SpawnForParentAsync(TransportSpec spec, int id, CancellationToken cancellationToken)
    {
        try
        {
            using TransportLaunch launch = TransportLaunch.Start(spec);
            Context context = await ConnectAsync(launch.Process, spec.Name, spec.Timeout, spec.DeflateCore, launch.Hints, cancellationToken, id).ConfigureAwait(false);
            return new SpawnResult { ProcessId = context.RemoteProcessId };
        }
        catch (ConnectionException ex)
        {
            return new SpawnResult { Failure = ex.Kind, Message = ex.Message, TransportOutput = [.. ex.TransportOutput] };
        }
    }

    /// <summary>Starts a context as another user through sudo, here or inside <see cref="SudoOptions.Via"/>.</summary>
    /// <param name="options">The target user, the password if sudo asks for one, and where to run sudo.</param>
    /// <param name="cancellationToken">Abandons the start.</param>
    /// <returns>The new context, connected and ready for calls.</returns>
    /// <exception cref="ConnectionException">The context could not be started; <see cref="ConnectionException.Kind"/> says why and the message quotes what the transport printed.</exception>
    /// <exception cref="ContextDisconnectedException">The via context went away during the start.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; whatever was started is stopped.</exception>
    public Task<Context> SudoAsync(SudoOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        return StartContextAsync(BecomeCommand.Sudo(options, Stage0Script(options.DotnetPath), options.Name ?? BecomeName("sudo", options.User, options.Via)), options.Via, cancellationToken);
    }

    /// <summary>Starts a context as another user through su, here or inside <see cref="SuOptions.Via"/>.</summary>
    /// <param name="options">The target user, the password if su asks for one, and where to run su.</param>
    /// <param name="cancellationToken">Abandons the start.</param>
    /// <returns>The new context, connected and ready for calls.</returns>
    /// <exception cref="ConnectionException">The context could not be started; <see cref="ConnectionException.Kind"/> says why and the message quotes what the transport printed.</exception>
    /// <exception cref="ContextDisconnectedException">The via context went away during the start.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; whatever was started is stopped.</exception>
    public Task<Context> SuAsync(SuOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        return StartContextAsync(BecomeCommand.Su(options, Stage0Script(options.DotnetPath), options.Name ?? BecomeName("su", options.User, options.Via)), options.Via, cancellationToken);
    }

    /// <summary>Starts a context as another user through doas, here or inside <see cref="DoasOptions.Via"/>.</summary>
    /// <param name="options">The target user, the password if doas asks for one, and where to run doas.</param>
    /// <param name="cancellationToken">Abandons the start.</param>
    /// <returns>The new context, connected and ready for calls.</returns>
    /// <exception cref="ConnectionException">The context could not be started; <see cref="ConnectionException.Kind"/> says why and the message quotes what the transport printed.</exception>
    /// <exception cref="ContextDisconnectedException">The via context went away during the start.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; whatever was started is stopped.</exception>
    public Task<Context> DoasAsync(DoasOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        return StartContextAsync(BecomeCommand.Doas(options, Stage0Script(options.DotnetPath), options.Name ?? BecomeName("doas", options.User, options.Via)), options.Via, cancellationToken);
    }

    private string Stage0Script(string? dotnetPath) => Stage0.Build(dotnetPath, Options.ShipRuntime, Options.RuntimeCacheDirectory);

    private static string BecomeName(string method, string user, Context? via) => $"{method}:{user}" + ViaSuffix(via);

    /// <summary>A default name says where the context was started from: <c>sudo:root@ssh:web1</c>.</summary>
    private static string ViaSuffix(Context? via) => via is null ? string.Empty : "@" + via.Name;

    /// <summary>Runs stage 0 to its marker, sends the preamble, and waits for the child's READY.</summary>
    private async Task<Context> ConnectAsync(TransportProcess transport, string name, TimeSpan timeout, bool deflateCore, FailureHints hints, CancellationToken cancellationToken, int id = 0)
    {
        if (id == 0)
        {
            id = AllocateContextId();
        }

        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        if (name.Length == 0)
        {
            name = $"local.{transport.ProcessId}";
        }

        var ready = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        _readyWaiters[id] = ready;
        try
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(timeout);
            using CancellationTokenRegistration killOnTimeout = deadline.Token.Register(transport.Kill);

            Preamble.PrepareInBackground(deflateCore);
            string marker = await Task.Run(transport.ReadUntilMarker, CancellationToken.None).ConfigureAwait(false);
            if (marker.StartsWith(Stage0.RuntimeQueryMarker, StringComparison.Ordinal))
            {
                marker = await AnswerRuntimeQueryAsync(transport, marker, name).ConfigureAwait(false);
            }

            if (marker != Stage0.ReadyMarker)
            {
                throw Failure(transport, name, marker, deadline.IsCancellationRequested, hints, cancellationToken);
            }

            TimeSpan atMarker = System.Diagnostics.Stopwatch.GetElapsedTime(started);
            var config = new ChildConfig(id, Id, name, Options.MaxMessageSize, (int)(_parent is null ? _output.MinimumLevel(name) : _childMinLogLevel), [.. _ancestors])
            {
                HeartbeatIntervalMs = Heartbeat.ToWire(Options).IntervalMs,
                HeartbeatTimeoutMs = Heartbeat.ToWire(Options).TimeoutMs,
            };
            try
            {
                Preamble.Write(transport.Input, config, deflateCore);
            }
            catch (IOException)
            {
                throw Failure(transport, name, marker, deadline.IsCancellationRequested, hints, cancellationToken);
            }

            var stream = new ContextStream(transport.Output, transport.Input, id, name, Options.MaxMessageSize);
            var context = new Context(this, id, name);
            _contexts[id] = context;
            _transports[id] = transport;
            _routes[id] = stream;
            _pushed[id] = new HashSet<string>(Preamble.CarriedAssemblies, StringComparer.OrdinalIgnoreCase);
            transport.LateStderr = line => _output.OnTransportLine(name, line);
            stream.Start(OnMessage, OnStreamBroken);

            Task finished = await Task.WhenAny(ready.Task, stream.Broken, Task.Delay(Timeout.Infinite, deadline.Token)).ConfigureAwait(false);
            if (finished != ready.Task)
            {
                stream.Break(deadline.IsCancellationRequested ? "connect timed out" : "the child ended before it was ready");
                throw Failure(transport, name, marker, deadline.IsCancellationRequested, hints, cancellationToken);
            }

            context.RemoteProcessId = await ready.Task.ConfigureAwait(false);
            _heartbeat?.Add(stream);
            _log.LogDebug(
                "{Context} ready in {Total:0.0} ms (stage 0 marker after {Marker:0.0} ms)",
                name,
                System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds,
                atMarker.TotalMilliseconds);
            return context;
        }
        catch (Exception ex) when (ex is not ConnectionException and not OperationCanceledException)
        {
            transport.Kill();
            throw new ConnectionException(ConnectionFailure.TransportExited, name, $"starting {name} failed: {ex.Message}", transport.RecentLines(), ex);
        }
        catch
        {
            transport.Kill();
            throw;
        }
        finally
        {
            _readyWaiters.TryRemove(id, out _);
        }
    }

    /// <summary>
    /// Stage 0 found no dotnet and asks which runtime we would send: this process's own, pruned, if
    /// the target's platform can run it. If the target's cache lacks it, stage 0 asks again and the
    /// archive follows on its stdin. Returns the next marker.
    /// </summary>
    private async Task<string> AnswerRuntimeQueryAsync(TransportProcess transport, string marker, string name)
    {
        string platform = marker[Stage0.RuntimeQueryMarker.Length..].Trim();
        string? refusal = RuntimeArchive.Unsuitable(platform);
        RuntimeArchive? archive = null;
        if (refusal is null)
        {
            try
            {
                long packing = System.Diagnostics.Stopwatch.GetTimestamp();
                archive = await RuntimeArchive.Local.ConfigureAwait(false);
                _log.LogDebug("runtime {Runtime} ready to ship after {Elapsed:0} ms", archive.Name, System.Diagnostics.Stopwatch.GetElapsedTime(packing).TotalMilliseconds);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException or System.Text.Json.JsonException)
            {
                refusal = $"this side's runtime cannot be shipped: {ex.Message}";
            }
        }

        string answer = archive?.Name ?? "-" + refusal!.ReplaceLineEndings(" ");
        try
        {
            await transport.Input.WriteAsync(Encoding.UTF8.GetBytes(answer + "\n")).ConfigureAwait(false);
            await transport.Input.FlushAsync().ConfigureAwait(false);
        }
        catch (IOException)
        {
            // Stage 0 is gone; its exit status and last words say why.
        }

        marker = await Task.Run(transport.ReadUntilMarker, CancellationToken.None).ConfigureAwait(false);
        if (marker != Stage0.RuntimeSendMarker || archive is null)
        {
            return marker;
        }

        _log.LogInformation("{Context}: the target has no .NET; sending runtime {Runtime} ({Bytes} bytes, {Files} files)", name, archive.Name, archive.Bytes.Length, archive.Files);
        try
        {
            await transport.Input.WriteAsync(Encoding.ASCII.GetBytes(archive.Bytes.Length.ToString(System.Globalization.CultureInfo.InvariantCulture) + "\n")).ConfigureAwait(false);
            await transport.Input.WriteAsync(archive.Bytes).ConfigureAwait(false);
            await transport.Input.FlushAsync().ConfigureAwait(false);
            Statistics.CountRuntimeShipped(archive.Bytes.Length);
        }
        catch (IOException)
        {
        }

        return await Task.Run(transport.ReadUntilMarker, CancellationToken.None).ConfigureAwait(false);
    }

    private static Exception Failure(TransportProcess transport, string name, string marker, bool timedOut, FailureHints hints, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        string exit = transport.DescribeExit(TimeSpan.FromSeconds(2));
        transport.OutputDrained.Wait(TimeSpan.FromSeconds(2));
        IReadOnlyList<string> lines = transport.RecentLines();
        string said = lines.Count == 0 ? "It printed nothing." : "It said:" + Environment.NewLine + string.Join(Environment.NewLine, lines.Select(l => "  " + l));
        if (marker.StartsWith(Stage0.NoRuntimeMarker, StringComparison.Ordinal))
        {
            return new ConnectionException(
                ConnectionFailure.RuntimeNotFound,
                name,
                $"{name}: no .NET runtime was found on the target ({marker[Stage0.NoRuntimeMarker.Length..].Trim()}). Looked in: {string.Join(", ", Stage0.SearchOrder)}. "
                + "Install .NET 10 or newer there, point at one with DotnetPath or DOTNET_ROOT, or let Econtext send its own (RouterOptions.ShipRuntime, on unless turned off)."
                + (lines.Count == 0 ? string.Empty : " " + said),
                lines);
        }

        if (TransportFailure.Classify(lines, hints) is { } known)
        {
            return new ConnectionException(known.Kind, name, $"{name}: {transport.Description} {exit} before the context was running. {said}{Environment.NewLine}{known.Advice}", lines);
        }

        if (timedOut)
        {
            return new ConnectionException(ConnectionFailure.ConnectTimeout, name, $"{name}: the context did not start within the connect timeout ({transport.Description}, {exit}). {said}", lines);
        }

        return new ConnectionException(
            ConnectionFailure.TransportExited,
            name,
            $"{name}: {transport.Description} {exit} before the context was running. {said}",
            lines);
    }

    internal Task<T> CallAsync<T>(Context context, LambdaExpression call, CancellationToken cancellationToken)
    {
        (MethodPlan plan, object?[] arguments) = CallCapture.Capture(call);
        if (plan.ReturnKind == ReturnKind.AsyncEnumerable)
        {
            throw new ArgumentException($"{plan.DisplayName} streams its result (IAsyncEnumerable<T>): call it with StreamAsync, which yields the items as they come.", nameof(call));
        }

        if (plan.ChannelKind is not null && arguments[plan.ChannelIndex] is null)
        {
            // Before anything is registered or sent: a CALL without its channel would wait forever remotely.
            throw new ArgumentNullException(nameof(call), $"the {(plan.ChannelKind == ChannelKind.Reader ? "ChannelReader" : "ChannelWriter")} argument of {plan.DisplayName} is null");
        }

        if (context.DisconnectReason is { } gone)
        {
            return Task.FromException<T>(new ContextDisconnectedException(context.Name, gone));
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<T>(cancellationToken);
        }

        var pending = new PendingCall<T>(context, plan);
        int handle = AllocateHandle();
        if (plan.ChannelKind == ChannelKind.Writer)
        {
            pending.Inbound = InboundItems.Create(plan.ChannelItemType!, arguments[plan.ChannelIndex]!, n => SendCredit(context, handle, n));
        }

        FrameBuilder? frame = null;
        try
        {
            frame = BuildCall(context, plan, arguments);
            _pending[handle] = pending;
            if (context.DisconnectReason is { } reason)
            {
                // The disconnect sweep may have run before the call was registered.
                _pending.TryRemove(handle, out _);
                frame.Dispose();
                return Task.FromException<T>(new ContextDisconnectedException(context.Name, reason));
            }

            if (cancellationToken.CanBeCanceled)
            {
                pending.Registration = cancellationToken.Register(() => CancelCall(context, handle, pending, cancellationToken));
            }

            PushAssemblies(context, plan);
            SemaphoreSlim? outboundCredits = null;
            if (plan.ChannelKind == ChannelKind.Reader)
            {
                outboundCredits = CreditWindow.Create();
                _outboundCredits[MapKey.Of(context.Id, handle)] = outboundCredits;
            }

            Send(context.Id, Handles.Call, handle, MessageFlags.None, frame);
            frame = null;
            if (outboundCredits is not null)
            {
                _ = (Task)s_pumpOut.MakeGenericMethod(plan.ChannelItemType!).Invoke(this, [arguments[plan.ChannelIndex]!, context, handle, outboundCredits, pending, pending.Task, plan.DisplayName])!;
            }
        }
        catch (MessageTooLargeException ex)
        {
            _pending.TryRemove(handle, out _);
            return Task.FromException<T>(ex);
        }
        catch (StreamBrokenException ex)
        {
            _pending.TryRemove(handle, out _);
            pending.Fail(new ContextDisconnectedException(context.Name, ex.Reason));
        }
        finally
        {
            frame?.Dispose();
        }

        return pending.Task;
    }

    /// <summary>Validates a streamed call at the call site; the call starts when enumeration does.</summary>
    internal IAsyncEnumerable<T> StreamAsync<T>(Context context, LambdaExpression call, CancellationToken cancellationToken)
    {
        (MethodPlan plan, object?[] arguments) = CallCapture.Capture(call);
        if (plan.ReturnKind != ReturnKind.AsyncEnumerable)
        {
            throw new ArgumentException($"{plan.DisplayName} does not return IAsyncEnumerable<T>; use CallAsync.", nameof(call));
        }

        return Stream<T>(context, plan, arguments, cancellationToken);
    }

    private async IAsyncEnumerable<T> Stream<T>(Context context, MethodPlan plan, object?[] arguments, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (context.DisconnectReason is { } gone)
        {
            throw new ContextDisconnectedException(context.Name, gone);
        }

        var pending = new PendingStream<T>(context, plan);
        int handle = AllocateHandle();
        FrameBuilder frame = BuildCall(context, plan, arguments);
        _pending[handle] = pending;
        try
        {
            if (context.DisconnectReason is { } reason)
            {
                frame.Dispose();
                throw new ContextDisconnectedException(context.Name, reason);
            }

            PushAssemblies(context, plan);
            Send(context.Id, Handles.Call, handle, MessageFlags.None, frame);
        }
        catch (StreamBrokenException ex)
        {
            _pending.TryRemove(handle, out _);
            throw new ContextDisconnectedException(context.Name, ex.Reason);
        }

        int taken = 0;
        try
        {
            while (await pending.Items.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                while (pending.Items.TryRead(out T? item))
                {
                    yield return item;
                    if (++taken == CreditWindow.ReturnEvery)
                    {
                        SendCredit(context, handle, taken);
                        taken = 0;
                    }
                }
            }
        }
        finally
        {
            if (!pending.Ended && _pending.TryRemove(handle, out _))
            {
                // The consumer stopped early (break, cancellation): stop the producer too.
                var cancel = new FrameBuilder(8);
                cancel.WriteInt32(handle);
                TrySend(context.Id, Handles.Cancel, Handles.None, MessageFlags.None, cancel);
            }
        }
    }

    /// <summary>
    /// Sends the caller's ChannelReader items to the callee, never more than the credit window ahead of
    /// what the remote method has read, then the end (or the reader's error). Stops when the call ends.
    /// </summary>
    private async Task PumpOutAsync<TItem>(System.Threading.Channels.ChannelReader<TItem> source, Context context, int handle, SemaphoreSlim credits, IPendingReply pending, Task callDone, string method)
    {
        using var stop = new CancellationTokenSource();
        _ = callDone.ContinueWith(static (_, s) => ((CancellationTokenSource)s!).Cancel(), stop, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        try
        {
            await foreach (TItem item in source.ReadAllAsync(stop.Token).ConfigureAwait(false))
            {
                await credits.WaitAsync(stop.Token).ConfigureAwait(false);
                var frame = new FrameBuilder();
                CallCodec.WriteValue(frame, item, typeof(TItem));
                ChunkPool.ReturnSent(item);
                try
                {
                    Send(context.Id, Handles.StreamItem, handle, MessageFlags.More, frame);
                }
                catch (StreamBrokenException)
                {
                    return;
                }
                catch (MessageTooLargeException ex)
                {
                    // The call fails here, at the caller, and the callee stops waiting for items.
                    if (_pending.TryRemove(handle, out _))
                    {
                        var cancel = new FrameBuilder(8);
                        cancel.WriteInt32(handle);
                        TrySend(context.Id, Handles.Cancel, Handles.None, MessageFlags.None, cancel);
                        pending.Fail(new MessageTooLargeException($"an item of the ChannelReader argument of {method} for {context.Name}", ex.Size, ex.MaxMessageSize));
                    }

                    return;
                }
            }

            var end = new FrameBuilder(8);
            CallCodec.WriteValue(end, null, null);
            TrySend(context.Id, Handles.StreamItem, handle, MessageFlags.None, end);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The call is over; nobody reads further items.
        }
        catch (Exception ex)
        {
            var failed = new FrameBuilder();
            CallCodec.WriteError(failed, RemoteErrorInfo.From(ex, Name));
            TrySend(context.Id, Handles.StreamItem, handle, MessageFlags.Error, failed);
        }
        finally
        {
            _outboundCredits.TryRemove(MapKey.Of(context.Id, handle), out _);
            credits.Dispose();
        }
    }

    private void SendCredit(Context context, int handle, int count) =>
        TrySend(context.Id, Handles.Credit, Handles.None, MessageFlags.None, CreditWindow.Frame(handle, count));

    internal void CallNoReply(Context context, LambdaExpression call)
    {
        (MethodPlan plan, object?[] arguments) = CallCapture.Capture(call);
        if (plan.ChannelKind is not null)
        {
            throw new ArgumentException($"{plan.DisplayName} takes a channel, which needs a reply handle to flow on: use CallAsync.", nameof(call));
        }

        if (context.DisconnectReason is { } gone)
        {
            throw new ContextDisconnectedException(context.Name, gone);
        }

        FrameBuilder frame = BuildCall(context, plan, arguments);
        try
        {
            PushAssemblies(context, plan);
            Send(context.Id, Handles.Call, Handles.None, MessageFlags.None, frame);
        }
        catch (StreamBrokenException ex)
        {
            throw new ContextDisconnectedException(context.Name, ex.Reason);
        }
    }

    private FrameBuilder BuildCall(Context context, MethodPlan plan, object?[] arguments)
    {
        var frame = new FrameBuilder();
        try
        {
            CallCodec.WriteCall(frame, plan, arguments);
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or NotSupportedException or InvalidOperationException)
        {
            frame.Dispose();
            throw new ArgumentException($"The arguments of {plan.DisplayName} could not be serialized for {context.Name}: {ex.Message}", "call", ex);
        }

        if (frame.PayloadLength > Options.MaxMessageSize)
        {
            long size = frame.PayloadLength;
            frame.Dispose();
            throw new MessageTooLargeException($"the call to {plan.DisplayName} on {context.Name}", size, Options.MaxMessageSize);
        }

        return frame;
    }

    private void CancelCall(Context context, int handle, IPendingReply pending, CancellationToken token)
    {
        if (!_pending.TryRemove(handle, out _))
        {
            // The reply is in, but its channel items may still be draining into a reader that is gone.
            pending.Cancel(token);
            return;
        }

        pending.Cancel(token);
        var frame = new FrameBuilder(8);
        frame.WriteInt32(handle);
        TrySend(context.Id, Handles.Cancel, Handles.None, MessageFlags.None, frame);
    }

    /// <summary>
    /// Sends the assemblies a call needs ahead of it, once per context. For a context reached through
    /// others, an assembly that already crossed the first hop is not sent again: every intermediate
    /// keeps what passes through it and answers its children's requests from there, so the master's
    /// link carries each assembly once per subtree.
    /// </summary>
    private void PushAssemblies(Context context, MethodPlan plan)
    {
        if (!_pushed.TryGetValue(context.Id, out HashSet<string>? sent))
        {
            return;
        }

        HashSet<string>? firstHop = null;
        if (context.Via is not null && _routes.TryGetValue(context.Id, out ContextStream? stream))
        {
            _pushed.TryGetValue(stream.RemoteId, out firstHop);
        }

        IReadOnlyList<System.Reflection.Assembly> required = plan.RequiredAssemblies ??= RequiredAssemblies(plan);
        lock (sent)
        {
            foreach (System.Reflection.Assembly assembly in required)
            {
                string name = assembly.GetName().Name!;
                if (sent.Contains(name) || (firstHop is not null && HoldsAssembly(firstHop, name)))
                {
                    continue;
                }

                byte[]? image = AssemblyCatalog.TryGetImage(assembly, out string? refusal);
                if (image is null || image.Length + 1024 > Options.MaxMessageSize)
                {
                    // The child will ask, and get the reason then.
                    _log.LogDebug("not pushing {Assembly} to {Context}: {Reason}", name, context.Name, refusal ?? "too large");
                    sent.Add(name);
                    continue;
                }

                var frame = new FrameBuilder(image.Length + 256);
                frame.WriteShortString(name);
                frame.WriteBytes(image);
                Send(context.Id, Handles.LoadAssembly, Handles.None, MessageFlags.None, frame);
                Statistics.CountPush(image.Length);
                sent.Add(name);
                if (firstHop is not null)
                {
                    lock (firstHop)
                    {
                        firstHop.Add(name);
                    }
                }
            }
        }
    }

    private static bool HoldsAssembly(HashSet<string> names, string name)
    {
        lock (names)
        {
            return names.Contains(name);
        }
    }

    private static List<System.Reflection.Assembly> RequiredAssemblies(MethodPlan plan) =>
        RelatedAssemblies.For(plan.Method, plan.TypeArguments.Concat(plan.MethodArguments));

    internal Task ShutdownAsync(Context context, CancellationToken cancellationToken)
    {
        if (context.DisconnectReason is null)
        {
            TrySend(context.Id, Handles.Shutdown, Handles.None, MessageFlags.None, new FrameBuilder(0));
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

        if (_routes.TryGetValue(context.Id, out ContextStream? stream))
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
        _heartbeat?.Dispose();
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

        foreach (ContextStream stream in _routes.SnapshotValues())
        {
            stream.Break("the router was disposed");
        }
    }

    /// <summary>Context ids come from the master only, so they are unique in the whole tree.</summary>
    internal int AllocateContextId() =>
        _parent is null ? Interlocked.Increment(ref _nextId) : throw new InvalidOperationException("only the master allocates context ids");

    internal int AllocateHandle()
    {
        while (true)
        {
            int handle = Interlocked.Increment(ref _nextHandle);
            if (handle < Handles.FirstDynamic)
            {
                Interlocked.CompareExchange(ref _nextHandle, Handles.FirstDynamic, handle);
                continue;
            }

            if (!_pending.ContainsKey(handle))
            {
                return handle;
            }
        }
    }

    /// <summary>Completes <paramref name="frame"/> from this context and sends it towards <paramref name="dst"/>.</summary>
    /// <exception cref="StreamBrokenException">No route, or the stream on the way is broken.</exception>
    /// <exception cref="MessageTooLargeException">The payload is over <see cref="RouterOptions.MaxMessageSize"/>: the receiver would break the stream over it.</exception>
    internal void Send(int dst, int handle, int replyTo, MessageFlags flags, FrameBuilder frame)
    {
        if (frame.PayloadLength > Options.MaxMessageSize)
        {
            throw DisposeAnd(frame, new MessageTooLargeException($"a {Handles.Name(handle)} message to {ContextName(dst)}", frame.PayloadLength, Options.MaxMessageSize));
        }

        ContextStream stream = RouteTo(dst) ?? throw DisposeAnd(frame, new StreamBrokenException($"no route to context {dst}"));
        Statistics.CountSent(MessageHeader.Size + frame.PayloadLength);
        frame.Complete(dst, Id, Id, handle, replyTo, flags);
        stream.Send(frame);
    }

    /// <summary><see cref="Send"/> for replies and notices whose loss is already being reported elsewhere.</summary>
    internal bool TrySend(int dst, int handle, int replyTo, MessageFlags flags, FrameBuilder frame)
    {
        try
        {
            Send(dst, handle, replyTo, flags, frame);
            return true;
        }
        catch (StreamBrokenException ex)
        {
            _log.LogDebug("dropped {Handle} to {Dst}: {Reason}", Handles.Name(handle), dst, ex.Reason);
            return false;
        }
        catch (MessageTooLargeException ex)
        {
            _log.LogWarning("not sent: {Reason}", ex.Message);
            return false;
        }
    }

    /// <summary>The most bytes a chunk of a file may carry so that its message fits <see cref="RouterOptions.MaxMessageSize"/>.</summary>
    internal int LargestPayloadChunk => Options.MaxMessageSize - ChunkHeadroom;

    /// <summary>In a child: a notice for the master (stdio, logs).</summary>
    internal void SendUpward(int handle, FrameBuilder frame)
    {
        if (_parent is null)
        {
            frame.Dispose();
            return;
        }

        frame.Complete(0, Id, Id, handle, Handles.None, MessageFlags.None);
        try
        {
            _parent.Send(frame);
        }
        catch (StreamBrokenException)
        {
        }
    }

    private static Exception DisposeAnd(FrameBuilder frame, Exception error)
    {
        frame.Dispose();
        return error;
    }

    private ContextStream? RouteTo(int dst) => _routes.TryGetValue(dst, out ContextStream? stream) ? stream : _parent;

    private void OnMessage(ContextStream from, Message message)
    {
        MessageHeader header = message.Header;
        if (!SourceIsBehind(from, header.Src) || !SourceIsBehind(from, header.Auth))
        {
            Drop(from, message, $"source {header.Src} (authority {header.Auth}) does not live behind {from.Name}");
            return;
        }

        try
        {
            if (header.Dst != Id)
            {
                Forward(from, message);
                return;
            }

            if (header.Handle >= Handles.FirstDynamic)
            {
                if (_pending.TryGetValue(header.Handle, out IPendingReply? pending) && pending.TargetId == header.Src
                    && ((header.Flags & MessageFlags.More) != 0 || _pending.TryRemove(header.Handle, out _)))
                {
                    // A streamed item keeps the handle open; anything else is the last message.
                    pending.Complete(message);
                }

                return;
            }

            switch (header.Handle)
            {
                case Handles.Call when FromAncestor(from, header):
                    _dispatcher!.OnCall(message);
                    break;
                case Handles.Cancel when FromAncestor(from, header):
                    _dispatcher!.OnCancel(message);
                    break;
                case Handles.Credit when FromAncestor(from, header):
                    _dispatcher!.OnCredit(message);
                    break;
                case Handles.Credit when _files is not null && from != _parent && header.ReplyTo != Handles.None:
                    // An asker wrote out N chunks of a file the master sends it (its own handle, so
                    // marked in reply-to: the asker's numbering and ours overlap).
                    _files.Grant(message);
                    break;
                case Handles.Credit when from != _parent:
                    // A callee reading one of our ChannelReader arguments took N items.
                    CreditWindow.Grant(_outboundCredits, message);
                    break;
                case Handles.FileGet when _files is not null && from != _parent && header.ReplyTo >= Handles.FirstDynamic:
                    OnFileGet(message);
                    break;
                case Handles.Cancel when _files is not null && from != _parent && header.Length >= 4
                    && _files.Cancel(header.Src, new PayloadReader(message.Span).ReadInt32()):
                    // The asker gave up on a file the master was sending it; any other CANCEL from
                    // below is an unauthorised command, dropped below.
                    break;
                case Handles.StreamItem when FromAncestor(from, header):
                    _dispatcher!.OnStreamItem(message);
                    break;
                case Handles.Shutdown when FromAncestor(from, header):
                    _childExit.TrySetResult("SHUTDOWN from the parent");
                    break;
                case Handles.LoadAssembly when FromAncestor(from, header):
                    OnLoadAssembly(message);
                    break;
                case Handles.AddRoute when FromAncestor(from, header):
                    OnAddRoute(from, message);
                    break;
                case Handles.Evict when FromAncestor(from, header):
                    OnEvict(from, message);
                    break;
                case Handles.DelRoute when from != _parent && header.Src == from.RemoteId:
                    OnDelRoute(from, message);
                    break;
                case Handles.GetAssembly when from != _parent:
                    ServeAssembly(from, message);
                    break;
                case Handles.Heartbeat when from == _parent && header.Src == from.RemoteId:
                    Heartbeat.Answer(from, Id);
                    break;
                case Handles.HeartbeatAck when from != _parent && header.Src == from.RemoteId:
                    // Its arrival is the answer (ContextStream.LastHeard).
                    break;
                case Handles.Ready when _readyWaiters.TryGetValue(header.Src, out TaskCompletionSource<int>? waiter):
                    waiter.TrySetResult(new PayloadReader(message.Span).ReadInt32());
                    break;
                case Handles.Stdio when _parent is null:
                    _output.OnStdio(header.Src, ContextName(header.Src), message.Span);
                    break;
                case Handles.ForwardLog when _parent is null:
                    (LogLevel level, int eventId, string category, string text, string exception) = LogRecordCodec.Read(message.Span);
                    _output.OnLog(ContextName(header.Src), level, eventId, category, text, exception);
                    break;
                default:
                    Drop(from, message, "not accepted here (a command needs an ancestor's authority)");
                    break;
            }
        }
        catch (Exception ex) when (ex is ProtocolViolationException || from != _parent)
        {
            // From below, whatever a payload makes a handler throw is the sender's fault (a parser's
            // JsonException as much as a short read); from the parent it is a bug of ours, and breaks.
            Charge(from, message, ex is ProtocolViolationException ? ex.Message : $"{message} could not be read ({ex.Message})");
        }
    }

    /// <summary>
    /// A frame was malformed. Its sender goes, and only its sender: the stream it came on when the
    /// sender is at the other end (or is the parent), else the sender's own parent is told to cut it
    /// off (EVICT), and the intermediates that relayed it stay connected.
    /// </summary>
    private void Charge(ContextStream from, Message message, string what)
    {
        int offender = message.Header.Src;
        if (from == _parent || offender == from.RemoteId)
        {
            from.Break($"protocol violation from {from.Name}: {what} in {message}");
            return;
        }

        string reason = $"protocol violation from {ContextName(offender)} (relayed by {from.Name}): {what} in {message}";
        Statistics.CountDropped();
        _log.LogWarning("{Reason}; evicting {Offender}", reason, ContextName(offender));
        TrySend(from.RemoteId, Handles.Evict, Handles.None, MessageFlags.None, Eviction.Frame(offender, reason));
    }

    /// <summary>EVICT from an ancestor: break the stream to the offender if it is ours, else pass it one hop down.</summary>
    private void OnEvict(ContextStream from, Message message)
    {
        (int offender, string reason) = Eviction.Read(message.Span);
        if (offender == Id || !_routes.TryGetValue(offender, out ContextStream? stream) || stream == from)
        {
            Drop(from, message, $"EVICT for context {offender}, which does not live below this context");
            return;
        }

        if (stream.RemoteId == offender)
        {
            stream.Break(reason);
            return;
        }

        TrySend(stream.RemoteId, Handles.Evict, Handles.None, MessageFlags.None, Eviction.Frame(offender, reason));
    }

    private void OnFileGet(Message message)
    {
        (string path, int chunkSize) = ControlPayloads.ReadFileGet(message.Span);
        MessageHeader header = message.Header;
        _ = Task.Run(() => _files!.ServeAsync(header, path, chunkSize));
    }

    /// <summary>A context this router started or knows a route to, by id.</summary>
    internal Context? FindContext(int id) => _contexts.GetValueOrDefault(id);

    /// <summary>The master's side of <see cref="Context.ShareFiles"/>.</summary>
    internal IDisposable ShareFiles(Context context, string path) =>
        (_files ?? throw new InvalidOperationException("files are shared by the master only; a context fetches them from the master with CurrentContext.FetchFileAsync"))
        .Share(context, path);

    /// <summary>In a child: asks the master for a file it shared with this context, and waits on a dynamic handle for its chunks.</summary>
    internal (int Handle, PendingFile Pending) RequestMasterFile(string path, int chunkSize)
    {
        if (_parent is null)
        {
            throw new InvalidOperationException("CurrentContext.FetchFileAsync runs in a context; the master reads its own files directly");
        }

        int handle = AllocateHandle();
        var pending = new PendingFile(path);
        _pending[handle] = pending;
        var frame = new FrameBuilder(path.Length * 3 + 16);
        frame.WriteShortString(path);
        frame.WriteInt32(chunkSize);
        try
        {
            Send(0, Handles.FileGet, handle, MessageFlags.None, frame);
        }
        catch (StreamBrokenException ex)
        {
            _pending.TryRemove(handle, out _);
            throw new ContextDisconnectedException("master", ex.Reason);
        }

        return (handle, pending);
    }

    /// <summary>In a child: <paramref name="count"/> chunks of a master file were written out; or the fetch was abandoned.</summary>
    internal void AckMasterFile(int handle, int count, bool abandon)
    {
        if (abandon)
        {
            _pending.TryRemove(handle, out _);
            var cancel = new FrameBuilder(8);
            cancel.WriteInt32(handle);
            TrySend(0, Handles.Cancel, Handles.None, MessageFlags.None, cancel);
            return;
        }

        TrySend(0, Handles.Credit, handle, MessageFlags.None, CreditWindow.Frame(handle, count));
    }

    private bool SourceIsBehind(ContextStream from, int src) =>
        from == _parent ? src != Id && !_routes.ContainsKey(src) : from.Owns(src);

    private bool FromAncestor(ContextStream from, MessageHeader header) =>
        from == _parent && _ancestors.Contains(header.Auth) && _ancestors.Contains(header.Src);

    private void Drop(ContextStream from, Message message, string why)
    {
        Statistics.CountDropped();
        _log.LogWarning("dropped {Message} from {Stream}: {Why}", message.ToString(), from.Name, why);
        if (message.Header.ReplyTo != Handles.None && message.Header.Handle != Handles.Ready && from.QueuedBytes < MaxQueuedForRefusals)
        {
            // A refusal is a courtesy to a sender that broke the rules: it gets one only while it
            // reads, so a flood of refused frames from a child that never reads costs a bounded queue.
            var frame = new FrameBuilder(64);
            frame.WriteBytes(Encoding.UTF8.GetBytes("refused by " + Name + ": " + why));
            frame.Complete(message.Header.Src, Id, Id, message.Header.ReplyTo, Handles.None, MessageFlags.Dead);
            try
            {
                from.Send(frame);
            }
            catch (StreamBrokenException)
            {
            }
        }
    }

    private void Forward(ContextStream from, Message message)
    {
        MessageHeader header = message.Header;
        ContextStream? next = RouteTo(header.Dst);
        if (next is null || next == from)
        {
            Drop(from, message, $"no route to context {header.Dst}");
            return;
        }

        if (from != _parent && next != _parent)
        {
            // Contexts send only towards their ancestors (replies, output, requests); a frame from
            // below that would go down another branch is an attack on a sibling subtree. In the
            // master every forward is such a frame.
            Drop(from, message, $"{Handles.Name(header.Handle)} to context {header.Dst}, which is not an ancestor of {ContextName(header.Src)}");
            return;
        }

        if (header.Handle == Handles.LoadAssembly && _resolver is not null && FromAncestor(from, header))
        {
            // Keep what an ancestor sends through for our own children: the master sends it once per
            // subtree. Never what anyone else sent: we would serve it as the ancestor's.
            (string name, byte[] image) = ReadLoadAssembly(message);
            _resolver.Keep(name, image);
        }

        var frame = new FrameBuilder(header.Length);
        frame.WriteBytes(message.Span);
        frame.Complete(header.Dst, header.Src, header.Auth, header.Handle, header.ReplyTo, header.Flags);
        try
        {
            next.Send(frame);
        }
        catch (StreamBrokenException)
        {
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

    private string ContextName(int id) => _contexts.TryGetValue(id, out Context? context) ? context.Name : "context " + id;

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
    private void ForgetContext(int id, string reason)
    {
        _routes.TryRemove(id, out _);
        _pushed.TryRemove(id, out _);
        _contexts.TryRemove(id, out Context? context);
        string name = context?.Name ?? "context " + id;
        if (context is not null)
        {
            context.MarkDisconnected(reason);
            _output.Flush(id, name);
        }

        foreach (long handle in _pending.SnapshotKeys())
        {
            if (_pending.TryGetValue(handle, out IPendingReply? pending) && pending.TargetId == id && _pending.TryRemove(handle, pending))
            {
                pending.Fail(new ContextDisconnectedException(name, reason));
            }
        }

        if (_parent is not null && !_parent.IsBroken)
        {
            var frame = new FrameBuilder(reason.Length + 16);
            frame.WriteInt32(id);
            frame.WriteBytes(Encoding.UTF8.GetBytes(reason));
            SendUpwardTo(_parent.RemoteId, Handles.DelRoute, frame);
        }

        _log.LogDebug("{Context} disconnected: {Reason}", name, reason);
    }

    /// <summary>DEL_ROUTE from an immediate child, for a context that lives behind it (never itself or anything else).</summary>
    private void OnDelRoute(ContextStream from, Message message)
    {
        (int id, string reason) = ControlPayloads.ReadDelRoute(message.Span);
        if (id == from.RemoteId || !from.Owns(id))
        {
            Drop(from, message, $"DEL_ROUTE for context {id}, which does not live behind {from.Name}");
            return;
        }

        from.RemoveIdBehind(id);
        ForgetContext(id, reason);
    }

    /// <summary>ADD_ROUTE from an ancestor: <c>id</c> will live behind the stream that leads to <c>via</c>.</summary>
    private void OnAddRoute(ContextStream from, Message message)
    {
        (int id, int via) = ControlPayloads.ReadAddRoute(message.Span);
        if (!_routes.TryGetValue(via, out ContextStream? stream) || stream == from)
        {
            Drop(from, message, $"ADD_ROUTE for {id} via {via}, which is not below this context");
            return;
        }

        stream.AddIdBehind(id);
        _routes[id] = stream;
    }

    private void OnLoadAssembly(Message message)
    {
        (string name, byte[] image) = ReadLoadAssembly(message);
        _resolver?.Add(name, image);
    }

    /// <summary>LOAD_ASSEMBLY payload: the simple name, then the image to the end.</summary>
    private static (string Name, byte[] Image) ReadLoadAssembly(Message message) => ControlPayloads.ReadLoadAssembly(message.Span);

    /// <summary>GET_ASSEMBLY from below: answered through <see cref="AssemblyService"/>, which bounds what one stream can make this process hold.</summary>
    private void ServeAssembly(ContextStream from, Message request) =>
        LazyInitializer.EnsureInitialized(ref _assemblies, () => new AssemblyService(this, LookUpAssembly, _log)).Accept(from, request);

    /// <summary>An image to answer GET_ASSEMBLY with, or why there is none (on a pool thread: an intermediate may wait for its parent).</summary>
    private (byte[]? Image, string? Refusal) LookUpAssembly(string name)
    {
        byte[]? image = _resolver?.GetImage(name);
        string? refusal = null;
        if (image is null && _parent is null)
        {
            image = AssemblyCatalog.TryGetImage(name, out refusal);
        }
        else if (image is null)
        {
            // An intermediate: fetch it once from above, keep it, and serve it.
            image = FetchAssemblyFromParent(name);
            if (image is not null)
            {
                _resolver!.Add(name, image);
            }
        }

        return (image, image is null ? refusal ?? $"{name} is not available from {Name}" : null);
    }

    /// <summary>In a child: asks the parent for an assembly and waits for it (never on a receive loop).</summary>
    private byte[]? FetchAssemblyFromParent(string name)
    {
        if (ContextStream.OnReceiveThread)
        {
            _log.LogError("{Assembly} was needed on the receive loop, where waiting for it would deadlock", name);
            return null;
        }

        int parentId = _parent!.RemoteId;
        var waiter = new AssemblyWaiter(parentId);
        int handle = AllocateHandle();
        _pending[handle] = waiter;
        var frame = new FrameBuilder(name.Length * 3);
        frame.WriteBytes(Encoding.UTF8.GetBytes(name));
        try
        {
            Send(parentId, Handles.GetAssembly, handle, MessageFlags.None, frame);
        }
        catch (StreamBrokenException)
        {
            _pending.TryRemove(handle, out _);
            return null;
        }

        // The answer comes through the receive loop, which this thread may have lent to run a call.
        ContextStream.HandOverIfLent();
        if (!waiter.Task.Wait(TimeSpan.FromSeconds(60)))
        {
            _pending.TryRemove(handle, out _);
            _log.LogError("the parent did not answer for {Assembly} within 60 s", name);
            return null;
        }

        (byte[]? image, string? refusal) = waiter.Task.Result;
        if (image is null)
        {
            _log.LogWarning("the parent refused {Assembly}: {Reason}", name, refusal);
        }

        return image;
    }

    /// <summary>
    /// In a child: says READY, then starts receiving. READY goes first so that the parent prepares
    /// its first call while this child finishes starting (threads cost milliseconds each here);
    /// what the parent sends meanwhile waits in the pipe.
    /// </summary>
    internal void StartChild(int processId)
    {
        var frame = new FrameBuilder(8);
        frame.WriteInt32(processId);
        SendUpwardTo(_parent!.RemoteId, Handles.Ready, frame);
        _parent.Start(OnMessage, (_, reason) => _childExit.TrySetResult("the parent is gone: " + reason));
    }

    /// <summary>In a child: blocks until SHUTDOWN, SIGTERM or the parent's end of the pipe closing.</summary>
    internal string WaitForChildExit()
    {
        // Broken as well: a write that failed before the receive loop started has no one to tell.
        Task<string> first = Task.WhenAny(_childExit.Task, _parent!.Broken).GetAwaiter().GetResult();
        return first == _childExit.Task ? first.Result : "the parent is gone: " + first.Result;
    }

    /// <summary>In a child: an assembly loaded from an image the parent pushed, by simple name.</summary>
    internal System.Reflection.Assembly? PushedAssembly(string name) => _resolver?.Loaded(name);

    internal void RequestChildExit(string reason) => _childExit.TrySetResult(reason);

    /// <summary>
    /// In a child that is exiting: cancels every running call's token (their channels end with it) and
    /// waits up to <paramref name="bound"/> for the calls to return, so their finally blocks run
    /// (a copy deletes its temporary file) before the process is gone.
    /// </summary>
    internal void UnwindCalls(TimeSpan bound)
    {
        _dispatcher!.BeginExit();
        try
        {
            _shuttingDown.Cancel();
        }
        catch (AggregateException ex)
        {
            // A callback some method registered on its token threw; the others ran regardless.
            _log.LogWarning(ex, "a cancellation callback failed while {Context} was exiting", Name);
        }

        if (!_dispatcher.Unwind(bound, out int stillRunning))
        {
            _log.LogWarning("{Count} call(s) in {Context} did not return within {Seconds} s of their cancellation; exiting without them", stillRunning, Name, bound.TotalSeconds);
        }
    }

    /// <summary>In an intermediate that is exiting: SHUTDOWN to every context it started, then wait (bounded) for them to go.</summary>
    internal void ShutDownChildren()
    {
        Task[] waits = _contexts.SnapshotValues().Where(c => c.DisconnectReason is null).Select(c => ShutdownAsync(c, CancellationToken.None)).ToArray();
        try
        {
            Task.WaitAll(waits, Options.ShutdownGracePeriod);
        }
        catch (AggregateException)
        {
            // Each failure is already a disconnect reported upward.
        }
    }

    /// <summary>In a child, at exit: the calls are unwound; close the pipe to the parent once queued output is out.</summary>
    internal void StopChild()
    {
        _shuttingDown.Cancel();
        _parent?.CloseOutput();
    }

    private void SendUpwardTo(int dst, int handle, FrameBuilder frame)
    {
        frame.Complete(dst, Id, Id, handle, Handles.None, MessageFlags.None);
        _parent!.Send(frame);
    }
}
