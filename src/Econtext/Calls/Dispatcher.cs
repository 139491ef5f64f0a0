using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.Loader;
using Econtext.Routing;
using Econtext.Streams;
using Econtext.Wire;
using Microsoft.Extensions.Logging;

namespace Econtext.Calls;

/// <summary>
/// In a child: runs CALLs from an ancestor on the thread that read them, with the receive loop lent
/// (a follower takes it over if the call runs long or waits for an assembly, which only the loop
/// can deliver), or on the thread pool when it cannot be lent; replies with the value or the
/// exception, and cancels a call's token when its caller cancels or the context shuts down. A
/// cancelled call's inbound channel (its ChannelReader parameter) ends too, so a method awaiting the
/// next item unwinds; a context that is exiting waits, bounded, for its calls to do so.
/// </summary>
[System.Diagnostics.CodeAnalysis.RequiresUnreferencedCode(AotNotes.Child)]
[System.Diagnostics.CodeAnalysis.RequiresDynamicCode(AotNotes.Child)]
internal sealed class Dispatcher(Router router, ILogger log, Action? idle = null)
{
    private readonly LockedMap<CancellationTokenSource> _running = new();
    private readonly ConcurrentDictionary<MethodPlanKey, MethodPlan> _plans = new();
    private readonly LockedMap<ItemReceiver<Message>> _inbound = new();
    private readonly CallsInFlight _inFlight = new(idle);
    private volatile bool _exiting;
    private static readonly MethodInfo s_openOutbound = typeof(Dispatcher).GetMethod(nameof(OpenOutbound), BindingFlags.Instance | BindingFlags.NonPublic)!;
    private static readonly MethodInfo s_streamItems = typeof(Dispatcher).GetMethod(nameof(StreamItemsAsync), BindingFlags.Instance | BindingFlags.NonPublic)!;

    public int Running => _running.Count;

    /// <summary>Calls queued, running or unwinding.</summary>
    public int InFlight => _inFlight.Count;

    public void OnCall(Message message)
    {
        // Registered here, on the receive loop, so a CANCEL right behind the CALL finds it.
        var cts = CancellationTokenSource.CreateLinkedTokenSource(router.ShuttingDown);
        if (message.Header.ReplyTo != Handles.None)
        {
            _running[MapKey.Of(message.Header.Src, message.Header.ReplyTo)] = cts;
        }

        _inFlight.Enter();
        message.Retain();
        var work = new CallWork(this, message, cts);
        if (message.Loop?.TryLend() == true)
        {
            // The call runs on the thread that read it, with no wake-up in between.
            work.Execute();
        }
        else
        {
            ThreadPool.UnsafeQueueUserWorkItem(work, preferLocal: false);
        }
    }

    public void OnCancel(Message message)
    {
        var reader = new PayloadReader(message.Span);
        int handle = reader.ReadInt32();
        if (_running.TryGetValue(MapKey.Of(message.Header.Src, handle), out CancellationTokenSource? cts))
        {
            // Cancellation callbacks are user code: not on the receive loop.
            ThreadPool.UnsafeQueueUserWorkItem(static c => TryCancel(c), cts, preferLocal: false);
        }
    }

    private static void TryCancel(CancellationTokenSource cts)
    {
        try
        {
            cts.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
        catch (AggregateException)
        {
        }
    }

    /// <summary>
    /// On the thread that read the call, or a pool thread. A method that returns a plain value and
    /// takes no channel, which most do, runs and replies right here, with no async state machine;
    /// the others go on in <see cref="RunAsync"/>.
    /// </summary>
    internal void Run(Message message, CancellationTokenSource cts)
    {
        MessageHeader header = message.Header;
        string what = "a call";
        bool handedOn = false;
        try
        {
            MethodPlan plan = Prepare(message, cts, ref what, out object?[] arguments);
            if (plan.ReturnKind != ReturnKind.Value || plan.ChannelKind is not null)
            {
                handedOn = true;
                _ = RunAsync(header, plan, arguments, cts);
                return;
            }

            object? result = plan.Method.Invoke(null, BindingFlags.DoNotWrapExceptions, null, arguments, null);
            if (header.ReplyTo != Handles.None)
            {
                Reply(header, plan, result);
            }
        }
        catch (Exception ex)
        {
            Fail(header, what, ex);
        }
        finally
        {
            message.Release();
            if (!handedOn)
            {
                Finish(header, cts);
            }
        }
    }

    /// <summary>Resolves the method and reads its arguments as its parameter types; the message is released after.</summary>
    private MethodPlan Prepare(Message message, CancellationTokenSource cts, ref string what, out object?[] arguments)
    {
        CallRequest request = CallCodec.ReadCall(message.Payload, message.Header.Length);
        MethodPlan plan = Resolve(request);
        what = plan.DisplayName;
        arguments = new object?[plan.ParameterTypes.Length];
        if (request.Arguments.Length != arguments.Length)
        {
            throw new ArgumentException($"{plan.DisplayName} takes {arguments.Length} arguments; the call carried {request.Arguments.Length}");
        }

        for (int i = 0; i < arguments.Length; i++)
        {
            // The token and the channel are bound here, not sent (the caller writes null): reading
            // that null through the serializer would build its metadata for ChannelReader<T> and
            // Task (Completion), with emitted getters: ~150 methods compiled and the serializer
            // loaded in every child that copies a file.
            if (i != plan.CancellationTokenIndex && i != plan.ChannelIndex)
            {
                (int offset, int length) = request.Arguments[i];
                arguments[i] = CallCodec.Deserialize(message.Payload, offset, length, plan.ParameterTypes[i], request.Attachments);
            }
        }

        message.Release();

        cts.Token.ThrowIfCancellationRequested();
        if (plan.CancellationTokenIndex >= 0)
        {
            arguments[plan.CancellationTokenIndex] = cts.Token;
        }

        return plan;
    }

    /// <summary>A method that returns a task or a stream, or takes a channel.</summary>
    private async Task RunAsync(MessageHeader header, MethodPlan plan, object?[] arguments, CancellationTokenSource cts)
    {
        bool wantsReply = header.ReplyTo != Handles.None;
        Func<Exception?, Task>? finishOutbound = null;
        CancellationTokenRegistration endInbound = default;
        try
        {
            if (plan.ChannelKind == ChannelKind.Reader)
            {
                ItemReceiver<Message> raw = Inbound(header.Src, header.ReplyTo);

                // Once the call is cancelled its caller sends no more items and no end: without this
                // a method awaiting the next item (most take no token) would wait in the context for ever.
                endInbound = cts.Token.Register(static (state, token) => ((ItemReceiver<Message>)state!).End(new OperationCanceledException(token)), raw);
                arguments[plan.ChannelIndex] = Activator.CreateInstance(typeof(InboundReader<>).MakeGenericType(plan.ChannelItemType!), raw);
            }
            else if (plan.ChannelKind == ChannelKind.Writer)
            {
                var opened = ((object Writer, Func<Exception?, Task> Finish))s_openOutbound.MakeGenericMethod(plan.ChannelItemType!).Invoke(this, [header, cts.Token])!;
                arguments[plan.ChannelIndex] = opened.Writer;
                finishOutbound = opened.Finish;
            }

            object? returned = plan.Method.Invoke(null, BindingFlags.DoNotWrapExceptions, null, arguments, null);
            object? result = null;
            switch (plan.ReturnKind)
            {
                case ReturnKind.Value:
                    result = returned;
                    break;
                case ReturnKind.Task:
                    await ((Task)returned!).ConfigureAwait(false);
                    break;
                case ReturnKind.ValueTask:
                    await ((ValueTask)returned!).ConfigureAwait(false);
                    break;
                case ReturnKind.TaskOfT:
                    await ((Task)returned!).ConfigureAwait(false);
                    result = plan.ResultGetter!.GetValue(returned);
                    break;
                case ReturnKind.ValueTaskOfT:
                    var task = (Task)plan.AsTask!.Invoke(returned, null)!;
                    await task.ConfigureAwait(false);
                    result = plan.ResultGetter!.GetValue(task);
                    break;
                case ReturnKind.AsyncEnumerable:
                    if (wantsReply)
                    {
                        await ((Task)s_streamItems.MakeGenericMethod(plan.ResultType!).Invoke(this, [header, returned, cts.Token])!).ConfigureAwait(false);
                    }

                    break;
            }

            if (finishOutbound is not null)
            {
                // Everything the method wrote goes out before its result.
                await finishOutbound(null).ConfigureAwait(false);
            }

            if (wantsReply)
            {
                Reply(header, plan, result);
            }
        }
        catch (Exception ex)
        {
            if (finishOutbound is not null)
            {
                try
                {
                    await finishOutbound(ex).ConfigureAwait(false);
                }
                catch (Exception)
                {
                    // The call's own exception is what the caller hears about.
                }
            }

            Fail(header, plan.DisplayName, ex);
        }
        finally
        {
            await endInbound.DisposeAsync().ConfigureAwait(false);
            Finish(header, cts);
        }
    }

    private void Fail(MessageHeader header, string what, Exception error)
    {
        if (_exiting)
        {
            // Cut short because the context is exiting: the caller hears that as the context's
            // disconnect, with its reason, not as a cancellation it never asked for.
            return;
        }

        if (header.ReplyTo != Handles.None)
        {
            ReplyError(header, error);
        }
        else
        {
            log.LogError(error, "{Call} (called without reply) failed", what);
        }
    }

    /// <summary>The call is over: forget its token and any stream items still queued for it.</summary>
    private void Finish(MessageHeader header, CancellationTokenSource cts)
    {
        if (header.ReplyTo != Handles.None)
        {
            _running.TryRemove(MapKey.Of(header.Src, header.ReplyTo), out _);
        }

        if (_inbound.TryRemove(MapKey.Of(header.Src, header.ReplyTo), out ItemReceiver<Message>? leftover))
        {
            leftover.Discard(static unread => unread.Release());
        }

        cts.Dispose();
        _inFlight.Leave();
    }

    /// <summary>In a context that is exiting, before the calls' tokens are cancelled: calls that fail from now on do not reply.</summary>
    public void BeginExit() => _exiting = true;

    /// <summary>
    /// In a context that is exiting, once every call's token is cancelled: ends every inbound channel
    /// (a method reading one unwinds even if its registration has not run yet), then waits up to
    /// <paramref name="bound"/> for the running calls to return. False when some still run.
    /// </summary>
    public bool Unwind(TimeSpan bound, out int stillRunning)
    {
        foreach (ItemReceiver<Message> inbound in _inbound.SnapshotValues())
        {
            inbound.End(new OperationCanceledException("the context is exiting"));
        }

        bool done = _inFlight.WaitForNone(bound);
        stillRunning = _inFlight.Count;
        return done;
    }

    private void Reply(MessageHeader call, MethodPlan plan, object? result)
    {
        var frame = new FrameBuilder();
        try
        {
            CallCodec.WriteValue(frame, result, plan.ReturnKind == ReturnKind.AsyncEnumerable ? null : plan.ResultType);
        }
        catch (Exception ex)
        {
            frame.Dispose();
            ReplyError(call, new InvalidOperationException($"the result of {plan.DisplayName} could not be serialized: {ex.Message}", ex));
            return;
        }

        if (frame.PayloadLength > router.Options.MaxMessageSize)
        {
            long size = frame.PayloadLength;
            frame.Dispose();
            ReplyError(call, new MessageTooLargeException($"the result of {plan.DisplayName}", size, router.Options.MaxMessageSize));
            return;
        }

        router.Outbox.TrySend(call.Src, call.ReplyTo, Handles.None, MessageFlags.None, frame);
    }

    /// <summary>STREAM_ITEM from the caller: an item for a ChannelReader parameter (MORE), or the end of them.</summary>
    public void OnStreamItem(Message message)
    {
        MessageHeader header = message.Header;
        ItemReceiver<Message> raw = Inbound(header.Src, header.ReplyTo);
        if ((header.Flags & MessageFlags.More) != 0)
        {
            message.Retain();
            if (!raw.Offer(message))
            {
                message.Release();
                raw.End(new EcontextException("the caller sent more items than the method's ChannelReader gave credit for"));
            }
        }
        else if ((header.Flags & MessageFlags.Error) != 0)
        {
            raw.End(CallCodec.ReadError(message.Payload, header.Length).ToException());
        }
        else
        {
            raw.End();
        }
    }

    /// <summary>The items of the caller's ChannelReader argument for the call it made on <paramref name="handle"/>; they may arrive before the call runs.</summary>
    private ItemReceiver<Message> Inbound(int src, int handle) =>
        _inbound.GetOrAdd(MapKey.Of(src, handle), _ => new ItemReceiver<Message>(n => router.Credits.Return(StreamKind.Arguments, src, handle, n)));

    /// <summary>The writer a method gets for its ChannelWriter parameter, and how to end the stream it feeds.</summary>
    private (object Writer, Func<Exception?, Task> Finish) OpenOutbound<TItem>(MessageHeader call, CancellationToken cancellationToken)
    {
        var channel = System.Threading.Channels.Channel.CreateBounded<TItem>(new System.Threading.Channels.BoundedChannelOptions(CreditWindow.Size) { SingleReader = true });
        Task pump = StreamItemsAsync(call, channel.Reader.ReadAllAsync(cancellationToken), cancellationToken);
        return (channel.Writer, async error =>
        {
            channel.Writer.TryComplete(error);
            await pump.ConfigureAwait(false);
        });
    }

    /// <summary>Sends each item as it is produced (MORE replies), never more than the window ahead of the consumer.</summary>
    private async Task StreamItemsAsync<T>(MessageHeader call, IAsyncEnumerable<T> items, CancellationToken cancellationToken)
    {
        using ItemSender outbound = router.Credits.Open(StreamKind.Results, call.Src, call.ReplyTo);
        await outbound.SendAllAsync(items, CallCodec.EncodeItem, "an item of a streamed result", cancellationToken).ConfigureAwait(false);
    }

    private void ReplyError(MessageHeader call, Exception error)
    {
        var frame = new FrameBuilder();
        CallCodec.WriteError(frame, RemoteErrorInfo.From(error, router.Name));
        router.Outbox.TrySend(call.Src, call.ReplyTo, Handles.None, MessageFlags.Error, frame);
    }

    private MethodPlan Resolve(CallRequest request)
    {
        string generics = request.TypeArguments.Length + request.MethodArguments.Length == 0
            ? string.Empty
            : string.Join('|', request.TypeArguments) + "||" + string.Join('|', request.MethodArguments);
        var key = new MethodPlanKey(request.Mvid, request.MetadataToken, generics);
        if (_plans.TryGetValue(key, out MethodPlan? plan))
        {
            return plan;
        }

        // An assembly the parent pushed is loaded already; looking it up by simple name spares the
        // first call parsing a full assembly name (1-4 ms in a new child).
        Assembly assembly = router.Assemblies.PushedAssembly(SimpleName(request.AssemblyName))
            ?? AssemblyLoadContext.Default.LoadFromAssemblyName(new AssemblyName(request.AssemblyName));
        Module module = assembly.ManifestModule;
        if (module.ModuleVersionId != request.Mvid)
        {
            throw new InvalidOperationException(
                $"{request.AssemblyName} resolved here to a different build (MVID {module.ModuleVersionId}, the caller has {request.Mvid}); "
                + "a framework or previously loaded assembly of the same name wins in a context");
        }

        MethodBase method = module.ResolveMethod(request.MetadataToken)
            ?? throw new InvalidOperationException($"metadata token 0x{request.MetadataToken:x8} is not a method of {request.AssemblyName}");
        if (request.TypeArguments.Length > 0)
        {
            Type closed = method.DeclaringType!.MakeGenericType(request.TypeArguments.Select(ResolveType).ToArray());
            method = MethodBase.GetMethodFromHandle(method.MethodHandle, closed.TypeHandle)!;
        }

        if (method is not MethodInfo info)
        {
            throw new InvalidOperationException($"{method} is a constructor, not a method");
        }

        if (request.MethodArguments.Length > 0)
        {
            info = info.MakeGenericMethod(request.MethodArguments.Select(ResolveType).ToArray());
        }

        if (!info.IsStatic)
        {
            throw new InvalidOperationException($"{info.DeclaringType}.{info.Name} is not static");
        }

        plan = MethodPlan.ForCallee(info);
        _plans.TryAdd(key, plan);
        return plan;
    }

    private static string SimpleName(string fullName) => fullName.IndexOf(',', StringComparison.Ordinal) is int comma and >= 0 ? fullName[..comma] : fullName;

    private static Type ResolveType(string assemblyQualifiedName) =>
        Type.GetType(assemblyQualifiedName, throwOnError: false)
        ?? throw new InvalidOperationException($"type {assemblyQualifiedName} could not be resolved in this context");
}
