using Econtext.Routing;
using System.Text;
using Econtext.Calls;
using Econtext.Wire;

namespace Econtext.Loading;

/// <summary>A child's GET_ASSEMBLY waiting for the image, or for the parent's reason to refuse.</summary>
internal sealed class AssemblyWaiter(int parentId) : TaskCompletionSource<(byte[]? Image, string? Refusal)>, IPendingReply
{
    public int TargetId => parentId;

    public void Complete(Message reply)
    {
        if ((reply.Header.Flags & (MessageFlags.Error | MessageFlags.Dead)) != 0)
        {
            TrySetResult((null, Encoding.UTF8.GetString(reply.Span)));
        }
        else
        {
            TrySetResult((reply.Span.ToArray(), null));
        }
    }

    public void Fail(Exception error) => TrySetResult((null, error.Message));

    public void Cancel(CancellationToken token) => TrySetResult((null, "cancelled"));
}
