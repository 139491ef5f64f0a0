using System.Diagnostics;

namespace Econtext.Bench;

/// <summary>
/// The .NET runtime's own start on this machine: our stage-1 loader run by `dotnet exec` with an empty
/// stdin, which returns as soon as Main runs. No context can start faster than this. One run at a
/// time, so the bench can take them between its own local connects.
/// </summary>
internal sealed class RuntimeFloor : IDisposable
{
    private readonly string _loader;
    private readonly string _config;

    private RuntimeFloor(string loader, string config)
    {
        _loader = loader;
        _config = config;
    }

    /// <summary>Null when the loader is not built (src/Econtext.Loader, Release).</summary>
    public static RuntimeFloor? Create()
    {
        string? loader = FindLoader();
        if (loader is null)
        {
            return null;
        }

        string config = Path.Combine(Path.GetTempPath(), $"econtext-bench-{Environment.ProcessId}.json");
        File.WriteAllText(config, "{\"runtimeOptions\":{\"tfm\":\"net10.0\",\"rollForward\":\"LatestMajor\",\"framework\":{\"name\":\"Microsoft.NETCore.App\",\"version\":\"10.0.0\"},\"configProperties\":{\"System.Globalization.Invariant\":true}}}");
        return new RuntimeFloor(loader, config);
    }

    /// <summary>One `dotnet exec` of the loader, in ms.</summary>
    public async Task<double> OnceMsAsync()
    {
        ProcessStartInfo start = NewSession.Start("dotnet", ["exec", "--runtimeconfig", _config, _loader]);
        start.RedirectStandardInput = true;

        var watch = Stopwatch.StartNew();
        using Process process = Process.Start(start)!;
        process.StandardInput.Close();
        await process.WaitForExitAsync();
        return watch.Elapsed.TotalMilliseconds;
    }

    public void Dispose() => File.Delete(_config);

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
