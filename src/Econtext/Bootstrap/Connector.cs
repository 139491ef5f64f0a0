using Econtext.Routing;
using Econtext.Transports;
using Econtext.Wire;
using Microsoft.Extensions.Logging;

namespace Econtext.Bootstrap;

/// <summary>
/// Starts contexts: runs a transport here (stage 0, the preamble, READY), or asks the context it is
/// started through to do so and become its parent. A started context is handed to the router
/// (<see cref="Router.Adopt"/>), which routes to it from then on.
/// </summary>
[System.Diagnostics.CodeAnalysis.RequiresUnreferencedCode(AotNotes.Calls)]
[System.Diagnostics.CodeAnalysis.RequiresDynamicCode(AotNotes.Calls)]
internal sealed class Connector
{
    private readonly Router router;
    private readonly LockedMap<TaskCompletionSource<int>> _readyWaiters = new();

    public Connector(Router router)
    {
        this.router = router;
        router.Switch.Add(Handles.Ready, Policy.FromChild, OnReady);
    }

    /// <summary>Starts a transport here, or inside <paramref name="via"/>, and waits for the new context to be ready.</summary>
    public async Task<Context> StartAsync(TransportSpec spec, Context? via, CancellationToken cancellationToken)
    {
        router.ThrowIfDisposed();
        if (via is null)
        {
            using TransportLaunch launch = TransportLaunch.Start(spec);
            return await ConnectAsync(launch.Process, spec.Name, spec.Timeout, spec.DeflateCore, launch.Hints, cancellationToken).ConfigureAwait(false);
        }

        if (via.DisconnectReason is { } gone)
        {
            throw new ContextDisconnectedException(via.Name, gone);
        }

        if (!router.Routes.TryGetBelow(via.Id, out ContextStream? stream))
        {
            throw new ArgumentException($"{via.Name} does not belong to this router", nameof(via));
        }

        int id = router.AllocateContextId();
        var context = new Context(router, id, spec.Name) { Via = via };
        router.AddContext(context);
        router.Routes.Add(id, stream);

        // Every context between here and the spawner must know the new id lives behind the next hop.
        for (Context hop = via; hop.Via is { } above; hop = above)
        {
            var frame = new FrameBuilder(8);
            frame.WriteInt32(id);
            frame.WriteInt32(hop.Id);
            router.Outbox.Send(above.Id, Handles.AddRoute, Handles.None, MessageFlags.None, frame);
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
            router.ForgetContext(id, "starting it failed: " + ex.Message);
            throw;
        }

        if (result.Failure is { } failure)
        {
            stream.RemoveIdBehind(id);
            router.ForgetContext(id, result.Message ?? failure.ToString());
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

        router.ForgetContext(id, "the caller cancelled the connect");
        _ = spawn.ContinueWith(
            done =>
            {
                if (!done.IsCompletedSuccessfully || done.Result.Failure is not null)
                {
                    stream.RemoveIdBehind(id);
                    return;
                }

                var frame = new FrameBuilder(0);
                frame.Complete(id, router.Id, router.Id, Handles.Shutdown, Handles.None, MessageFlags.None);
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
    public async Task<SpawnResult> SpawnForParentAsync(TransportSpec spec, int id, CancellationToken cancellationToken)
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

    /// <summary>Runs stage 0 to its marker, sends the preamble, and waits for the child's READY.</summary>
    private async Task<Context> ConnectAsync(TransportProcess transport, string name, TimeSpan timeout, bool deflateCore, FailureHints hints, CancellationToken cancellationToken, int id = 0)
    {
        if (id == 0)
        {
            id = router.AllocateContextId();
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
                marker = await RuntimeShipping.AnswerQueryAsync(router, transport, marker, name).ConfigureAwait(false);
            }

            if (marker != Stage0.ReadyMarker)
            {
                throw ConnectFailure.Describe(transport, name, marker, deadline.IsCancellationRequested, hints, cancellationToken);
            }

            TimeSpan atMarker = System.Diagnostics.Stopwatch.GetElapsedTime(started);
            ChildConfig config = router.ConfigFor(id, name);
            try
            {
                Preamble.Write(transport.Input, config, deflateCore);
            }
            catch (IOException)
            {
                throw ConnectFailure.Describe(transport, name, marker, deadline.IsCancellationRequested, hints, cancellationToken);
            }

            var stream = new ContextStream(transport.Output, transport.Input, id, name, router.Options.MaxMessageSize);
            var context = new Context(router, id, name);
            router.AddContext(context);
            router.Adopt(id, name, transport, stream);

            Task finished = await Task.WhenAny(ready.Task, stream.Broken, Task.Delay(Timeout.Infinite, deadline.Token)).ConfigureAwait(false);
            if (finished != ready.Task)
            {
                stream.Break(deadline.IsCancellationRequested ? "connect timed out" : "the child ended before it was ready");
                throw ConnectFailure.Describe(transport, name, marker, deadline.IsCancellationRequested, hints, cancellationToken);
            }

            context.RemoteProcessId = await ready.Task.ConfigureAwait(false);
            router.Heartbeat?.Add(stream);
            router.Log.LogDebug(
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

    /// <summary>READY from a context being started here: its process id; from any other, refused.</summary>
    private void OnReady(ContextStream from, Message message)
    {
        if (_readyWaiters.TryGetValue(message.Header.Src, out TaskCompletionSource<int>? waiter))
        {
            waiter.TrySetResult(ControlPayloads.ReadInt32(message.Span));
            return;
        }

        router.Switch.Refuse(from, message, "READY from a context that is not being started");
    }
}
