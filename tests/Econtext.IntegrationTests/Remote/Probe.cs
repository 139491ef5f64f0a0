namespace Econtext.IntegrationTests.Remote;

/// <summary>Runs in a context: what it knows about itself.</summary>
public static class Probe
{
    public static ChildInfo WhoAmI() => new(CurrentContext.IsChild, CurrentContext.Name, CurrentContext.Id, Environment.ProcessId);

    public static int ProcessId() => Environment.ProcessId;

    /// <summary>Where this assembly says it was loaded from, as the child sees it.</summary>
    public static string OwnLocation() => typeof(Probe).Assembly.Location;
}
