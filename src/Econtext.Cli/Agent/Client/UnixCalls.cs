using System.Runtime.InteropServices;

namespace Econtext.Cli.Agent.Client;

/// <summary>The few libc calls the client and agent need that .NET does not expose (an owner's uid, setsid, exec).</summary>
internal static partial class UnixCalls
{
    public static uint UserId => getuid();

    /// <summary>The owner, mode and kind of <paramref name="path"/> itself (a symbolic link is not followed); null when it does not exist.</summary>
    public static unsafe (uint Owner, uint Mode)? LinkStatus(string path)
    {
        // struct stat is 144 bytes on x86-64 and 128 on arm64; a larger buffer fits both.
        byte* buffer = stackalloc byte[256];
        if (lstat(path, buffer) != 0)
        {
            return null;
        }

        // st_mode and st_uid: offsets 24 and 28 on x86-64, 16 and 24 on arm64 (the generic layout).
        (int mode, int uid) = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? (24, 28) : (16, 24);
        return (*(uint*)(buffer + uid), *(uint*)(buffer + mode));
    }

    /// <summary>Starts a new session, so that the terminal's Ctrl-C and hang-up do not reach this process.</summary>
    public static void NewSession() => _ = setsid();

    /// <summary>Replaces this process with <paramref name="file"/> (searched on PATH); returns only if that failed.</summary>
    public static void Exec(string file, IReadOnlyList<string> argv)
    {
        nint[] pointers = new nint[argv.Count + 1];
        for (int i = 0; i < argv.Count; i++)
        {
            pointers[i] = Marshal.StringToCoTaskMemUTF8(argv[i]);
        }

        _ = execvp(file, pointers);
    }

    public const uint TypeMask = 0xF000;

    public const uint Directory = 0x4000;

    [LibraryImport("libc")]
    private static partial uint getuid();

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static unsafe partial int lstat(string path, byte* buffer);

    [LibraryImport("libc")]
    private static partial int setsid();

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int execvp(string file, nint[] argv);
}
