using System.Runtime.InteropServices;
using System.Text;
using Econtext.Native;

namespace Econtext.Transports;

/// <summary>
/// Hands a password to ssh without a command line or an environment variable carrying it: ssh runs
/// a tiny SSH_ASKPASS script (in a private 0700 folder) that reads a FIFO; we write the password
/// into the FIFO when, and only when, ssh asks. A yes/no host key question gets "no", so an unknown
/// key is refused rather than accepted behind the user's back.
/// </summary>
internal sealed partial class AskPass : IDisposable
{
    private readonly string _directory;
    private readonly string _fifo;
    private readonly byte[] _secret;
    private readonly Thread _writer;
    private volatile bool _disposed;
    private int _served;

    private AskPass(string password)
    {
        string root = System.Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR") is { Length: > 0 } xdg && Directory.Exists(xdg) ? xdg : Path.GetTempPath();
        _directory = Path.Combine(root, "econtext-askpass-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(_directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        _fifo = Path.Combine(_directory, "p");
        if (MkFifo(_fifo, 0x180) != 0)
        {
            throw new IOException($"mkfifo {_fifo} failed, errno {Marshal.GetLastPInvokeError()}");
        }

        ScriptPath = Path.Combine(_directory, "askpass");
        // Exactly one line per question, read with the shell's own read: a `cat` could pass on a
        // second copy written while it still had the FIFO open, and fail on the closed pipe.
        File.WriteAllText(ScriptPath, "#!/bin/sh\ncase \"$1\" in *yes/no*|*fingerprint*) echo no; exit 0;; esac\nIFS= read -r p < '" + _fifo + "' && printf '%s\\n' \"$p\"\n");
        File.SetUnixFileMode(ScriptPath, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        _secret = Encoding.UTF8.GetBytes(password + "\n");
        _writer = new Thread(Serve) { IsBackground = true, Name = "econtext askpass" };
        _writer.Start();
    }

    public string ScriptPath { get; }

    /// <summary>How many times ssh asked for the password.</summary>
    public int TimesAsked => Volatile.Read(ref _served);

    public static AskPass Create(string password) => new(password);

    /// <summary>Environment that makes ssh use the helper even with a terminal around.</summary>
    public IReadOnlyDictionary<string, string> Environment() => new Dictionary<string, string>
    {
        ["SSH_ASKPASS"] = ScriptPath,
        ["SSH_ASKPASS_REQUIRE"] = "force",
        ["DISPLAY"] = System.Environment.GetEnvironmentVariable("DISPLAY") ?? ":0",
    };

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;

        // Release a writer blocked in open() waiting for a reader that will never come.
        int fd = Libc.Open(_fifo, 0x800 /* O_RDONLY|O_NONBLOCK */);
        if (fd >= 0)
        {
            Libc.Close(fd);
        }

        _writer.Join(TimeSpan.FromSeconds(2));
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private void Serve()
    {
        while (!_disposed)
        {
            try
            {
                using var fifo = new FileStream(_fifo, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, bufferSize: 0);
                if (_disposed)
                {
                    return;
                }

                Interlocked.Increment(ref _served);
                fifo.Write(_secret);
            }
            catch (IOException)
            {
                // The reader went away early; ssh will ask again or give up.
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "mkfifo", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int MkFifo(string path, uint mode);
}
