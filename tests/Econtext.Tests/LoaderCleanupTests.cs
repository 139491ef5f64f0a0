using System.Diagnostics;
using Econtext.Bootstrap;

namespace Econtext.Tests;

/// <summary>
/// The core deletes the files stage 0 staged the loader in; when the core never arrives, the loader
/// must do it itself. Real processes: stage 0 under /bin/sh, then the runtime running the loader.
/// </summary>
public sealed class LoaderCleanupTests
{
    [Fact(Timeout = 60_000)]
    public async Task A_loader_whose_parent_leaves_before_sending_the_core_deletes_the_staged_files()
    {
        string dir = Directory.CreateTempSubdirectory("econtext-stage0-").FullName;
        try
        {
            var start = new ProcessStartInfo("/bin/sh")
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add(Stage0.Build(dotnetPath: null));
            start.Environment["XDG_RUNTIME_DIR"] = dir;
            using Process stage0 = Process.Start(start)!;
            Task<string> errors = stage0.StandardError.ReadToEndAsync();

            Assert.Equal(Stage0.ReadyMarker, await stage0.StandardOutput.ReadLineAsync());
            Assert.NotEmpty(Directory.GetFiles(dir));

            // The parent is gone before the preamble: the loader reads end of file.
            stage0.StandardInput.Close();
            await stage0.WaitForExitAsync();

            Assert.True(stage0.ExitCode == 0, $"exit code {stage0.ExitCode}; stderr: {await errors}");
            Assert.Empty(Directory.GetFiles(dir));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
