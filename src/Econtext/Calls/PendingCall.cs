using Econtext.Routing;
using Econtext.Wire;

namespace Econtext.Calls;

/// <summary>A call waiting for its reply; decodes the value as the declared result type.</summary>
/// <remarks>
/// The final reply is decoded and the caller resumed on the thread that read it, with its receive
/// loop lent (<see cref="IReceiveLoop.TryLend"/> on the reply's <see cref="Message.Loop"/>: a follower takes it over if the
/// caller's code runs long): the caller's next call then goes out with no thread wake-up in
/// between. Every other completion (failures, cancellation, a loop that could not be lent, a call
/// whose channel items are still draining) happens inside <see cref="ContinuationsElsewhere"/>, so
/// the caller resumes on the pool as with RunContinuationsAsynchronously, which this task cannot
/// have (it would forbid the fast path too).
/// </remarks>
[System.Diagnostics.CodeAnalysis.RequiresUnreferencedCode(AotNotes.Calls)]
[System.Diagnostics.CodeAnalysis.RequiresDynamicCode(AotNotes.Calls)]
internal sealed class PendingCall<T>(Context target, MethodPlan plan) : TaskCompletionSource<T>, IPendingReply
{
    public int TargetId => target.Id;

    public CancellationTokenRegistration Registration { get; set; }

    /// <summary>Items the remote method writes to its ChannelWriter parameter, if it has one.</summary>
    public InboundItems? Inbound { get; set; }

    /// <summary>The items still going into the caller's channel after the final reply arrived.</summary>
    private volatile InboundItems? _draining;

    public void Complete(Message reply)
    {
        if (Inbound is { } inbound)
        {
            if ((reply.Header.Flags & MessageFlags.More) != 0)
            {
                inbound.OnItem(reply);
                return;
            }

            // The result waits until every item is in the caller's channel, which then completes.
            // Draining is set first: a cancel between the two lines still finds the items to abandon.
            _draining = inbound;
            Inbound = null;
            Exception? failure = Read(reply, out T? result);
            _ = FinishAfterItemsAsync(inbound, result, failure);
            return;
        }

        Registration.Dispose();
        bool lent = reply.Loop?.TryLend() == true;
        Exception? error = Read(reply, out T? value);

        // The caller may run here for a long time; its buffer (pooled when large) goes back first.
        reply.Release();
        Settle(value, error, inline: lent);
    }

    public void Fail(Exception error)
    {
        Registration.Dispose();
        if (Inbound is { } inbound)
        {
            Inbound = null;
            _ = inbound.FinishAsync(error);
        }

        Settle(default, error, inline: false);
    }

    /// <summary>The reply's value, or the error it carries or that reading it raised.</summary>
    private Exception? Read(Message reply, out T? value)
    {
        value = default;
        try
        {
            if ((reply.Header.Flags & MessageFlags.Dead) != 0)
            {
                return new ContextDisconnectedException(target.Name, System.Text.Encoding.UTF8.GetString(reply.Span));
            }

            if ((reply.Header.Flags & MessageFlags.Error) != 0)
            {
                return CallCodec.ReadError(reply.Payload, reply.Header.Length).ToException();
            }

            value = (T)CallCodec.ReadValue(reply.Payload, reply.Header.Length, typeof(T) == typeof(NoResult) ? null : plan.ResultType)!;
            return null;
        }
        catch (Exception ex)
        {
            return new EcontextException($"the reply of {plan.DisplayName} from {target.Name} could not be read as {typeof(T).Name}: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// Completes the task. Inline only on a thread that has just lent its receive loop: the caller's
    /// code may run there at once; anywhere else it resumes on the pool.
    /// </summary>
    private void Settle(T? value, Exception? error, bool inline)
    {
        if (inline)
        {
            SetOutcome(value, error);
            return;
        }

        using (ContinuationsElsewhere.Enter())
        {
            SetOutcome(value, error);
        }
    }

    private void SetOutcome(T? value, Exception? error)
    {
        if (error is not null)
        {
            TrySetException(error);
        }
        else
        {
            TrySetResult(value!);
        }
    }

    private async Task FinishAfterItemsAsync(InboundItems inbound, T? value, Exception? error)
    {
        try
        {
            await inbound.FinishAsync(error).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            error ??= ex;
        }

        Registration.Dispose();
        Settle(value, error, inline: false);
    }

    /// <summary>
    /// Also after the final reply: a callee that sent everything within its credit may have finished
    /// while the caller, which stopped reading its channel, still waits for the items to drain.
    /// </summary>
    public void Cancel(CancellationToken token)
    {
        (_draining ?? Inbound)?.Abandon();
        using (ContinuationsElsewhere.Enter())
        {
            TrySetCanceled(token);
        }
    }
}
