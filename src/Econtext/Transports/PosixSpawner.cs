using System.ComponentModel;
using System.Runtime.InteropServices;
using System.Text;
using Econtext.Native;

namespace Econtext.Transports;

/// <summary>
/// Starts a child with posix_spawn and sets it up on the way: pipes on 0/1/2, no other inherited
/// fds, default signal handling, and, when asked, a new session whose controlling terminal is a
/// pseudo-terminal's slave (opened by path in the child, as Mitogen does).
/// </summary>
internal static class PosixSpawner
{
    /// <summary>
    /// Spawns <paramref name="path"/> with <paramref name="argv"/> and <paramref name="envp"/> and
    /// returns its pid. The child gets copies of the three descriptors as 0/1/2; the caller keeps
    /// and closes its own. <paramref name="fileName"/> is what the caller asked for, for messages.
    /// </summary>
    /// <exception cref="Win32Exception">The program could not be started; the message says why in a person's words.</exception>
    public static unsafe int Start(string fileName, string path, List<string> argv, List<string> envp, int stdinRead, int stdoutWrite, int stderrWrite, string? terminalName, bool setsid)
    {
        void* attributes = NativeMemory.AllocZeroed(Spawn.SpawnAttributesSize);
        void* actions = NativeMemory.AllocZeroed(Spawn.FileActionsSize);
        void* signals = NativeMemory.AllocZeroed(Spawn.SigsetSize);
        byte** paths = ToNativeArray(terminalName is null ? [path] : [path, terminalName]);
        byte** nativeArgv = ToNativeArray(argv);
        byte** nativeEnvp = ToNativeArray(envp);
        bool attributesReady = false;
        bool actionsReady = false;
        try
        {
            Check(Spawn.SpawnAttrInit(attributes), "posix_spawnattr_init");
            attributesReady = true;
            Check(Spawn.FileActionsInit(actions), "posix_spawn_file_actions_init");
            actionsReady = true;

            // No blocked signals, and SIGPIPE back to default: the runtime ignores it, and an
            // ignored signal stays ignored across exec. Signals a user deliberately ignored (nohup)
            // stay ignored, as they would for a shell's children.
            _ = Spawn.SigEmptySet(signals);
            Check(Spawn.SpawnAttrSetSigMask(attributes, signals), "posix_spawnattr_setsigmask");
            _ = Spawn.SigAddSet(signals, Spawn.Sigpipe);
            Check(Spawn.SpawnAttrSetSigDefault(attributes, signals), "posix_spawnattr_setsigdefault");

            // glibc runs setsid in the child before the file actions, so the open below, the first
            // of a tty by a session leader without one and without O_NOCTTY, makes it the session's
            // controlling terminal. EINVAL here means a glibc older than 2.26.
            short flags = (short)(Spawn.PosixSpawnSetSigMask | Spawn.PosixSpawnSetSigDefault | (setsid ? Spawn.PosixSpawnSetSid : 0));
            Check(Spawn.SpawnAttrSetFlags(attributes, flags), "posix_spawnattr_setflags");

            Check(Spawn.FileActionsAddDup2(actions, stdinRead, 0), "posix_spawn_file_actions_adddup2");
            Check(Spawn.FileActionsAddDup2(actions, stdoutWrite, 1), "posix_spawn_file_actions_adddup2");
            Check(Spawn.FileActionsAddDup2(actions, stderrWrite, 2), "posix_spawn_file_actions_adddup2");
            AddCloseFrom(actions, 3);
            if (terminalName is not null)
            {
                Check(Spawn.FileActionsAddOpen(actions, 3, paths[1], Libc.ORdwr, 0), "posix_spawn_file_actions_addopen");
                Check(Spawn.FileActionsAddClose(actions, 3), "posix_spawn_file_actions_addclose");
            }

            int pid;
            int error = Spawn.PosixSpawn(&pid, paths[0], actions, attributes, nativeArgv, nativeEnvp);
            return error == 0 ? pid : throw StartError(fileName, path, error);
        }
        finally
        {
            if (actionsReady)
            {
                _ = Spawn.FileActionsDestroy(actions);
            }

            if (attributesReady)
            {
                _ = Spawn.SpawnAttrDestroy(attributes);
            }

            NativeMemory.Free(attributes);
            NativeMemory.Free(actions);
            NativeMemory.Free(signals);
            NativeMemory.Free(paths);
            NativeMemory.Free(nativeArgv);
            NativeMemory.Free(nativeEnvp);
        }
    }

    /// <summary>
    /// Closes every fd from <paramref name="from"/> up in the child. O_CLOEXEC already covers ours;
    /// this also covers fds our own parent leaked into us without it (test runners and CI agents do).
    /// glibc before 2.34 lacks it, and there we rely on O_CLOEXEC alone.
    /// </summary>
    private static unsafe void AddCloseFrom(void* actions, int from)
    {
        try
        {
            Check(Spawn.FileActionsAddCloseFrom(actions, from), "posix_spawn_file_actions_addclosefrom_np");
        }
        catch (EntryPointNotFoundException)
        {
        }
    }

    /// <summary>One allocation: a NULL-terminated pointer array followed by the NUL-terminated UTF-8 strings.</summary>
    private static unsafe byte** ToNativeArray(IReadOnlyList<string> values)
    {
        int pointerBytes = (values.Count + 1) * sizeof(nint);
        int total = pointerBytes;
        foreach (string value in values)
        {
            total += Encoding.UTF8.GetByteCount(value) + 1;
        }

        byte* block = (byte*)NativeMemory.AllocZeroed((nuint)total);
        byte** pointers = (byte**)block;
        byte* next = block + pointerBytes;
        for (int i = 0; i < values.Count; i++)
        {
            pointers[i] = next;
            int length = Encoding.UTF8.GetBytes(values[i], new Span<byte>(next, total - (int)(next - block)));
            next[length] = 0;
            next += length + 1;
        }

        pointers[values.Count] = null;
        return pointers;
    }

    private static void Check(int error, string call)
    {
        if (error != 0)
        {
            throw Spawn.Failure(call, error);
        }
    }

    private static Win32Exception StartError(string fileName, string path, int error)
    {
        string shown = fileName == path ? $"'{fileName}'" : $"'{fileName}' ({path})";
        string message = error switch
        {
            Spawn.Enoent when fileName.Contains('/', StringComparison.Ordinal) && !File.Exists(path) => $"'{fileName}' does not exist.",
            Spawn.Enoent => $"{shown} could not be started: it or its interpreter (#! line or ELF loader) does not exist.",
            Spawn.Eacces => $"{shown} could not be started: permission denied (not executable, or on a noexec mount).",
            Spawn.Enoexec => $"{shown} could not be started: it is not a program this system can run (a script without a #! line, or another architecture's binary).",
            _ => $"{shown} could not be started: {Marshal.GetPInvokeErrorMessage(error)}.",
        };
        return new Win32Exception(error, message);
    }
}
