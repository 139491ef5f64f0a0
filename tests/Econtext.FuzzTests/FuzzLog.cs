using Xunit.Abstractions;

namespace Econtext.FuzzTests;

/// <summary>
/// Reports how many inputs each target ran (and how many were refused as violations), in the test
/// output and, when ECONTEXT_FUZZ_LOG names a file, as one tab-separated line per target there: the
/// figures that go into docs/security.md after a long pass.
/// </summary>
internal static class FuzzLog
{
    private static readonly object s_lock = new();

    public static void Record(string target, long inputs, long violations, ITestOutputHelper output)
    {
        string line = $"{DateTime.UtcNow:yyyy-MM-ddTHH:mm:ssZ}\t{target}\t{inputs} inputs\t{violations} refused as protocol violations\t{(FuzzBudget.Seconds is { } s ? s + " s" : "bounded")}";
        output.WriteLine(line);
        if (Environment.GetEnvironmentVariable("ECONTEXT_FUZZ_LOG") is { Length: > 0 } path)
        {
            lock (s_lock)
            {
                File.AppendAllText(path, line + Environment.NewLine);
            }
        }
    }
}
