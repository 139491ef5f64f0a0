namespace Econtext.Calls;

/// <summary>The result type of calls that return nothing.</summary>
internal sealed class NoResult
{
    private NoResult()
    {
    }
}
