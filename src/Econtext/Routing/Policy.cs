namespace Econtext.Routing;

/// <summary>
/// Who may send a message of a given handle to this context: each handler is registered with one
/// (<see cref="MessageSwitch.Add"/>), so authorization is a table, not a chain of conditions. Every
/// frame has already passed source verification (its <c>src</c> and <c>auth</c> live behind the
/// stream it came on) before a policy is asked. docs/security.md cites this table.
/// </summary>
internal enum Policy
{
    /// <summary>On the parent's stream, with <c>src</c> and <c>auth</c> both ancestors of this context: a command.</summary>
    FromAncestor,

    /// <summary>On the parent's stream, sent by the parent itself.</summary>
    FromParent,

    /// <summary>On the stream to a context this one started, from that context or anyone behind it.</summary>
    FromBelow,

    /// <summary>On the stream to a context this one started, sent by that context itself (it speaks for its subtree).</summary>
    FromChild,
}
