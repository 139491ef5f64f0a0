using Econtext.Wire;

namespace Econtext.Routing;

/// <summary>Something waiting on a dynamic handle for one reply.</summary>
internal interface IPendingReply
{
    /// <summary>The context the request went to; the reply is accepted from it only.</summary>
    int TargetId { get; }

    void Complete(Message reply);

    void Fail(Exception error);

    /// <summary>The caller gave up; the reply, if it comes, is ignored.</summary>
    void Cancel(CancellationToken token);
}
