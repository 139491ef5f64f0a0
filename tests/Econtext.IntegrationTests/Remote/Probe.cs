namespace Econtext.IntegrationTests.Remote;

/// <summary>Runs in a context: what it knows about itself.</summary>
public static class Probe
{
    public static ChildInfo WhoAmI() => new(CurrentContext.IsChild, CurrentContext.Name, CurrentContext.Id, Environment.ProcessId);

    public static int ProcessId() => Environment.ProcessId;

    /// <summary>Touches a type of the one assembly the bootstrap leaves out of the core's closure.</summary>
    public static string DependencyInjectionAssembly() =>
        typeof(Microsoft.Extensions.DependencyInjection.IServiceScopeFactory).Assembly.GetName().Name!;

    /// <summary>Where this assembly says it was loaded from, as the child sees it.</summary>
    public static string OwnLocation() => typeof(Probe).Assembly.Location;
}
