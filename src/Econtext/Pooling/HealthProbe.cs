namespace Econtext.Pooling;

/// <summary>The method <see cref="Context.PingAsync"/> calls: it is in the core every context already has, so the check sends no assembly.</summary>
internal static class HealthProbe
{
    /// <summary>Answers with the context's process id.</summary>
    public static int Answer() => Environment.ProcessId;
}
