namespace Econtext.Cli.Output;

/// <summary>
/// One lock for every line the tool writes while hosts run: host workers print output lines and
/// end-of-host lines from many threads, and the console does not keep two writers' lines apart.
/// </summary>
internal static class ConsoleGate
{
    public static readonly Lock Lines = new();
}
