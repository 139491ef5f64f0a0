namespace Econtext.StartupProbe;

/// <summary>What the contexts run. It must live in this assembly, which the master pushes to each child.</summary>
public static class Workload
{
    public static int Ping() => 1;
}
