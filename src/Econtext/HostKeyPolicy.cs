namespace Econtext;

/// <summary>What ssh does with the target's host key; mapped onto <c>StrictHostKeyChecking</c>.</summary>
public enum HostKeyPolicy
{
    /// <summary>The key must already be in known_hosts (<c>StrictHostKeyChecking=yes</c>).</summary>
    Enforce,

    /// <summary>An unknown key is added; a changed one is refused (<c>StrictHostKeyChecking=accept-new</c>).</summary>
    AcceptNew,

    /// <summary>No check at all (<c>StrictHostKeyChecking=no</c>, known_hosts not written). For throwaway test hosts only.</summary>
    Ignore,
}
