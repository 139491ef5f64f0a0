using System.Diagnostics;

namespace Econtext.Bench;

/// <summary>
/// The .NET runtime's own start on this machine: our stage-1 loader run by `dotnet exec` with an empty
/// stdin, which returns as soon as Main runs. No context can start faster than this.
/// </summary>
internal static class RuntimeFloor
{
    public static async Task<double?> MedianMsAsync(int runs)
    {
        string? loader = FindLoader();
        if (loader is null)
        {
            return null;
        }

        string config = Path.Combine(Path.GetTempPath(), $"econtext-bench-{Environment.ProcessId}.json");
        await File.WriteAllTextAsync(config, "{\"runtimeOptions\":{\"tfm\":\"net10.0\",\"rollForward\":\"LatestMajor\",\"framework\":{\"name\":\"Microsoft.NETCore.App\",\"version\":\"10.0.0\"},\"configProperties\":{\"System.Globalization.Invariant\":true}}}");
        try
        {
            var times = new List<double>();
            for (int i = 0; i < runs; i++)
            {
                var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardInput = true };
                foreach (string argument in (string[])["exec", "--runtimeconfig", config, loader])
                {
                    start.ArgumentList.Add(argument);
                }

                var watch = Stopwatch.StartNew();
                using Process process = Process.Start(start)!;
                process.StandardInput.Close();
                await process.WaitForExitAsync();
                times.Add(watch.Elapsed.TotalMilliseconds);
            }

            return Stats.Median(times);
        }
        finally
        {
            File.Delete(config);
        }
    }

    private static string? FindLoader()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "src", "Econtext.Loader", "bin", "Release", "net10.0", "Econtext.Loader.dll");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}
