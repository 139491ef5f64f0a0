using System.Reflection;

namespace Econtext.IntegrationTests.Infrastructure;

/// <summary>Finds the Econtext.TestMaster build and the dotnet host to run it with.</summary>
public static class TestMasterLocator
{
    public static string DllPath()
    {
        string? recorded = typeof(TestMasterLocator).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "Econtext.TestMaster.Path")?.Value;
        if (!string.IsNullOrEmpty(recorded) && File.Exists(recorded))
        {
            return recorded;
        }

        // Fallback: the usual layout next to this project's own output (bin/<Configuration>/<tfm>/).
        var here = new DirectoryInfo(AppContext.BaseDirectory);
        string tfm = here.Name;
        string configuration = here.Parent?.Name ?? "Release";
        for (DirectoryInfo? dir = here; dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "tests", "Econtext.TestMaster", "bin", configuration, tfm, "Econtext.TestMaster.dll");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException($"Econtext.TestMaster.dll was not built (recorded path: '{recorded}'); build the solution first.");
    }

    /// <summary>The dotnet host running these tests, else DOTNET_HOST_PATH, else dotnet on PATH.</summary>
    public static string DotnetHost()
    {
        string? self = Environment.ProcessPath;
        if (self is not null && Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            return self;
        }

        string? host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        return !string.IsNullOrEmpty(host) && File.Exists(host) ? host : "dotnet";
    }
}
