using System.Linq.Expressions;
using Econtext.Routing;
using Econtext.Streams;
using Econtext.Wire;

namespace Econtext.Calls;

/// <summary>
/// The caller's side of calls: captures the lambda, sends the assemblies it needs ahead of it, sends
/// CALL on a fresh reply handle, and feeds channel arguments and streamed results under the credit
/// window. Replies come back through <see cref="PendingReplies"/>.
/// </summary>
[System.Diagnostics.CodeAnalysis.RequiresUnreferencedCode(AotNotes.Calls)]
[System.Diagnostics.CodeAnalysis.RequiresDynamicCode(AotNotes.Calls)]
internal sealed class CallIssuer
{
    private static readonly System.Reflection.MethodInfo s_pumpOut = typeof(CallIssuer).GetMethod(nameof(PumpOutAsync), System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic)!;
    private readonly Router router;

    public CallIssuer(Router router) => this.router = router;

    public Task<T> CallAsync<T>(Context context, LambdaExpression call, CancellationToken cancellationToken)
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
        int handle = router.Replies.Allocate();
        if (plan.ChannelKind == ChannelKind.Writer)
        {
            pending.Inbound = InboundItems.Create(plan.ChannelItemType!, arguments[plan.ChannelIndex]!, n => router.Credits.Return(StreamKind.Results, context.Id, handle, n));
        }

        FrameBuilder? frame = null;
        ItemSender? outbound = null;
        try
        {
            frame = BuildCall(context, plan, arguments);
            router.Replies.Register(handle, pending);
            if (context.DisconnectReason is { } reason)
            {
                // The disconnect sweep may have run before the call was registered.
                router.Replies.TryRemove(handle);
                frame.Dispose();
                return Task.FromException<T>(new ContextDisconnectedException(context.Name, reason));
            }

            if (cancellationToken.CanBeCanceled)
            {
                pending.Registration = cancellationToken.Register(() => CancelCall(context, handle, pending, cancellationToken));
            }

            router.Assemblies.Push(context, plan);
            if (plan.ChannelKind == ChannelKind.Reader)
            {
                // Open before the CALL goes: the callee's first CREDIT may come back at once.
                outbound = router.Credits.Open(StreamKind.Arguments, context.Id, handle);
            }

            router.Outbox.Send(context.Id, Handles.Call, handle, MessageFlags.None, frame);
            frame = null;
            if (outbound is not null)
            {
                _ = (Task)s_pumpOut.MakeGenericMethod(plan.ChannelItemType!).Invoke(this, [arguments[plan.ChannelIndex]!, context, outbound, pending, pending.Task, plan.DisplayName])!;
            }
        }
        catch (MessageTooLargeException ex)
        {
            router.Replies.TryRemove(handle);
            return Task.FromException<T>(ex);
        }
        catch (StreamBrokenException ex)
        {
            router.Replies.TryRemove(handle);
            pending.Fail(new ContextDisconnectedException(context.Name, ex.Reason));
        }
        finally
        {
            if (frame is not null)
            {
                // Not sent: no pump will run to close a ChannelReader argument's window.
                frame.Dispose();
                outbound?.Dispose();
            }
        }

        return pending.Task;
    }

    /// <summary>Validates a streamed call at the call site; the call starts when enumeration does.</summary>
    public IAsyncEnumerable<T> StreamAsync<T>(Context context, LambdaExpression call, CancellationToken cancellationToken)
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

        int handle = router.Replies.Allocate();
        var pending = new PendingStream<T>(context, plan, n => router.Credits.Return(StreamKind.Results, context.Id, handle, n));
        FrameBuilder frame = BuildCall(context, plan, arguments);
        router.Replies.Register(handle, pending);
        try
        {
            if (context.DisconnectReason is { } reason)
            {
                frame.Dispose();
                throw new ContextDisconnectedException(context.Name, reason);
            }

            router.Assemblies.Push(context, plan);
            router.Outbox.Send(context.Id, Handles.Call, handle, MessageFlags.None, frame);
        }
        catch (StreamBrokenException ex)
        {
            router.Replies.TryRemove(handle);
            throw new ContextDisconnectedException(context.Name, ex.Reason);
        }

        try
        {
            await foreach (T item in pending.Items.TakeAllAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return item;
            }
        }
        finally
        {
            if (!pending.Ended && router.Replies.TryRemove(handle))
            {
                // The consumer stopped early (break, cancellation): stop the producer too.
                router.Outbox.TrySendCancel(context.Id, handle);
            }
        }
    }

    /// <summary>
    /// Sends the caller's ChannelReader items to the callee under the stream's credit window, then
    /// the end (or the reader's error). Stops when the call ends.
    /// </summary>
    private async Task PumpOutAsync<TItem>(System.Threading.Channels.ChannelReader<TItem> source, Context context, ItemSender outbound, IPendingReply pending, Task callDone, string method)
    {
        using var stop = new CancellationTokenSource();
        _ = callDone.ContinueWith(static (_, s) => ((CancellationTokenSource)s!).Cancel(), stop, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        using (outbound)
        {
            try
            {
                if (await outbound.SendAllAsync(source.ReadAllAsync(stop.Token), CallCodec.EncodeItem, $"an item of the ChannelReader argument of {method} for {context.Name}", stop.Token).ConfigureAwait(false))
                {
                    var end = new FrameBuilder(8);
                    CallCodec.WriteValue(end, null, null);
                    outbound.TrySend(MessageFlags.None, end);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                // The call is over; nobody reads further items.
            }
            catch (MessageTooLargeException ex)
            {
                // The call fails here, at the caller, and the callee stops waiting for items.
                if (router.Replies.TryRemove(outbound.Handle))
                {
                    router.Outbox.TrySendCancel(context.Id, outbound.Handle);
                    pending.Fail(ex);
                }
            }
            catch (Exception ex)
            {
                var failed = new FrameBuilder();
                CallCodec.WriteError(failed, RemoteErrorInfo.From(ex, router.Name));
                outbound.TrySend(MessageFlags.Error, failed);
            }
        }
    }

    public void CallNoReply(Context context, LambdaExpression call)
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
            router.Assemblies.Push(context, plan);
            router.Outbox.Send(context.Id, Handles.Call, Handles.None, MessageFlags.None, frame);
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

        if (frame.PayloadLength > router.Options.MaxMessageSize)
        {
            long size = frame.PayloadLength;
            frame.Dispose();
            throw new MessageTooLargeException($"the call to {plan.DisplayName} on {context.Name}", size, router.Options.MaxMessageSize);
        }

        return frame;
    }

    private void CancelCall(Context context, int handle, IPendingReply pending, CancellationToken token)
    {
        if (!router.Replies.TryRemove(handle))
        {
            // The reply is in, but its channel items may still be draining into a reader that is gone.
            pending.Cancel(token);
            return;
        }

        pending.Cancel(token);
        router.Outbox.TrySendCancel(context.Id, handle);
    }
}
