namespace Econtext;

/// <summary>One context's outcome of a call made on many: its value, or why it failed.</summary>
public sealed record ContextResult<T>(Context Context, T? Value, Exception? Error)
{
    public bool Succeeded => Error is null;
}
