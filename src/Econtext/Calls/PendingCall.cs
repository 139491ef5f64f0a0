using Econtext.Wire;

namespace Econtext.Calls;

/// <summary>A call waiting for its reply; decodes the value as the declared result type.</summary>
internal sealed class PendingCall<T>(Context target, MethodPlan plan) : TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously), IPendingReply
{
    public int TargetId => target.Id;

    public CancellationTokenRegistration Registration { get; set; }

    public void Complete(Message reply)
    {
        Registration.Dispose();
        try
        {
            if ((reply.Header.Flags & MessageFlags.Dead) != 0)
            {
                TrySetException(new ContextDisconnectedException(target.Name, System.Text.Encoding.UTF8.GetString(reply.Span)));
            }
            else if ((reply.Header.Flags & MessageFlags.Error) != 0)
            {
                TrySetException(CallCodec.ReadError(reply.Payload, reply.Header.Length).ToException());
            }
            else
            {
                object? value = CallCodec.ReadValue(reply.Payload, reply.Header.Length, typeof(T) == typeof(NoResult) ? null : plan.ResultType);
                TrySetResult((T)value!);
            }
        }
        catch (Exception ex)
        {
            TrySetException(new EcontextException($"the reply of {plan.DisplayName} from {target.Name} could not be read as {typeof(T).Name}: {ex.Message}", ex));
        }
    }

    public void Fail(Exception error)
    {
        Registration.Dispose();
        TrySetException(error);
    }

    public void Cancel(CancellationToken token) => TrySetCanceled(token);
}
