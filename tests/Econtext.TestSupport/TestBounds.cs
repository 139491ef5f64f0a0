namespace Econtext.TestSupport;

/// <summary>
/// The bound on every single await of a test (xunit's Timeout bounds the whole test). Test
/// projects import it with <c>using static</c>; a class that needs longer declares its own
/// <c>Bound</c>, which hides this one.
/// </summary>
public static class TestBounds
{
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);
}
