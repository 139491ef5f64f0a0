using System.Diagnostics;
using System.Globalization;

namespace Econtext.IntegrationTests.Infrastructure;

/// <summary>
/// A DotnetPath wrapper that reports its pid (which stays the runtime's: it execs it) and, when
/// held, waits for the test to release it before the runtime starts: a connect stopped at a known
/// point, with FIFOs as the signals rather than sleeps.
/// </summary>
public sealed class HeldDotnet : IDisposable
{
    private readonly string _directory;
    private FileStream? _go;

    private HeldDotnet(string directory) => _directory = directory;

    /// <summary>The wrapper, for <c>DotnetPath</c>.</summary>
    public string Path => System.IO.Path.Combine(_directory, "dotnet");

    private string PidFile => System.IO.Path.Combine(_directory, "pid");

    private string GoFifo => System.IO.Path.Combine(_directory, "go");

    public static HeldDotnet Create(bool hold)
    {
        string directory = Directory.CreateTempSubdirectory("econtext-held-dotnet-").FullName;
        var held = new HeldDotnet(directory);
        if (hold)
        {
            MakeFifo(held.PidFile);
            MakeFifo(held.GoFifo);
        }

        string script = "#!/bin/sh\necho $$ >\"" + held.PidFile + "\"\n"
            + (hold ? "read go <\"" + held.GoFifo + "\"\n" : string.Empty)
            + "exec \"" + TestMasterLocator.DotnetHost() + "\" \"$@\"\n";
        File.WriteAllText(held.Path, script);
        File.SetUnixFileMode(held.Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return held;
    }

    /// <summary>The wrapper's pid, once it runs (held: it then waits for <see cref="Release"/>).</summary>
    public Task<int> StartedAsync() =>
        Task.Run(() => int.Parse(File.ReadAllText(PidFile).Trim(), CultureInfo.InvariantCulture));

    /// <summary>Lets a held wrapper go on to the runtime; does nothing (and never blocks) if it is gone.</summary>
    public void Release()
    {
        // Read-write: opening a FIFO so never waits for the other end. Kept open, so a wrapper that
        // has not reached its read yet still finds the line there.
        _go = new FileStream(GoFifo, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite, bufferSize: 0);
        _go.Write("go\n"u8);
    }

    public void Dispose()
    {
        _go?.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static void MakeFifo(string path)
    {
        using var mkfifo = Process.Start(new ProcessStartInfo("mkfifo", [path]) { UseShellExecute = false })!;
        mkfifo.WaitForExit();
        if (mkfifo.ExitCode != 0)
        {
            throw new IOException("mkfifo " + path + " failed");
        }
    }
}
