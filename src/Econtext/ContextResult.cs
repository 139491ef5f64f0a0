namespace Econtext;

/// <summary>One context's outcome of a call made on many: its value, or why it failed.</summary>
/// <param name="Context">The context the call ran in.</param>
/// <param name="Value">What the call returned there; <c>default</c> when it failed.</param>
/// <param name="Error">
/// Why it failed: a <see cref="RemoteException"/> thrown by the method, a
/// <see cref="ContextDisconnectedException"/>, or a cancellation; null when it succeeded.
/// </param>
public sealed record ContextResult<T>(Context Context, T? Value, Exception? Error)
{
    /// <summary>True when the call returned in this context: <see cref="Value"/> holds its result and <see cref="Error"/> is null.</summary>
    public bool Succeeded => Error is null;
}
