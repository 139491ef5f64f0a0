using Econtext.Routing;
using Econtext.Streams;
using Econtext.Wire;

namespace Econtext.Calls;

/// <summary>
/// A streamed result on its way in: each MORE message is one item, the last message ends it (or
/// carries the error). The items wait in an <see cref="ItemReceiver{T}"/>, which returns credit
/// through <paramref name="returnCredit"/> as the consumer takes them.
/// </summary>
[System.Diagnostics.CodeAnalysis.RequiresUnreferencedCode(AotNotes.Calls)]
[System.Diagnostics.CodeAnalysis.RequiresDynamicCode(AotNotes.Calls)]
internal sealed class PendingStream<T>(Context target, MethodPlan plan, Action<int> returnCredit) : IPendingReply
{
    public int TargetId => target.Id;

    public ItemReceiver<T> Items { get; } = new(returnCredit);

    /// <summary>The callee sent its last message (or the stream failed); no CANCEL is needed.</summary>
    public bool Ended { get; private set; }

    public void Complete(Message reply)
    {
        MessageFlags flags = reply.Header.Flags;
        try
        {
            if ((flags & MessageFlags.More) != 0)
            {
                var item = (T)CallCodec.ReadValue(reply.Payload, reply.Header.Length, plan.ResultType)!;
                if (!Items.Offer(item))
                {
                    End(new EcontextException($"{target.Name} sent more items of {plan.DisplayName} than the consumer gave credit for"));
                }

                return;
            }

            if ((flags & MessageFlags.Dead) != 0)
            {
                End(new ContextDisconnectedException(target.Name, System.Text.Encoding.UTF8.GetString(reply.Span)));
            }
            else if ((flags & MessageFlags.Error) != 0)
            {
                End(CallCodec.ReadError(reply.Payload, reply.Header.Length).ToException());
            }
            else
            {
                End(null);
            }
        }
        catch (Exception ex)
        {
            End(new EcontextException($"an item of {plan.DisplayName} from {target.Name} could not be read as {typeof(T).Name}: {ex.Message}", ex));
        }
    }

    public void Fail(Exception error) => End(error);

    public void Cancel(CancellationToken token) => End(new OperationCanceledException(token));

    private void End(Exception? error)
    {
        Ended = true;
        Items.End(error);
    }
}
