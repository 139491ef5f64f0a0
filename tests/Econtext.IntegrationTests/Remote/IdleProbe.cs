namespace Econtext.IntegrationTests.Remote;

/// <summary>Runs in a context: how many idle trims it has run so far.</summary>
public static class IdleProbe
{
    public static long TrimsSoFar() => Econtext.Calls.IdleTrim.Completed;
}
