using System.Runtime.InteropServices;
using Econtext.Native;

namespace Econtext.Transports;

/// <summary>
/// Opens the pseudo-terminal pair a child gets as its controlling terminal, so su/sudo/doas can
/// open /dev/tty to ask for a password, which we answer on the master.
/// </summary>
internal static class PseudoTerminal
{
    /// <summary>
    /// A new pair, both ends close-on-exec and above 2, with echo off. The slave is opened here too:
    /// holding it keeps reads on the master blocking, rather than failing, until the child opens it.
    /// </summary>
    public static unsafe (int Master, int Slave, string Name) Open()
    {
        // posix_openpt rather than openpty: it lives in libc on every glibc (openpty was in libutil
        // before 2.34) and takes O_CLOEXEC, so no other child can inherit the master.
        int master = Spawn.PosixOpenpt(Libc.ORdwr | Spawn.ONoctty | Libc.OCloexec);
        if (master < 0)
        {
            throw Spawn.Failure("opening a pseudo-terminal (posix_openpt)", Marshal.GetLastPInvokeError());
        }

        int slave = -1;
        try
        {
            master = ChildDescriptors.AboveStdio(master);
            if (Spawn.Grantpt(master) != 0 || Spawn.Unlockpt(master) != 0)
            {
                throw Spawn.Failure("unlocking the pseudo-terminal", Marshal.GetLastPInvokeError());
            }

            byte* buffer = stackalloc byte[256];
            int error = Spawn.PtsnameR(master, buffer, 256);
            if (error != 0)
            {
                throw Spawn.Failure("naming the pseudo-terminal (ptsname_r)", error);
            }

            string name = Marshal.PtrToStringUTF8((nint)buffer) ?? string.Empty;

            // O_NOCTTY: it must become the child's controlling terminal, never ours.
            slave = Libc.Open(name, Libc.ORdwr | Spawn.ONoctty | Libc.OCloexec);
            if (slave < 0)
            {
                throw Spawn.Failure($"opening {name}", Marshal.GetLastPInvokeError());
            }

            slave = ChildDescriptors.AboveStdio(slave);
            DisableEcho(slave);
            return (master, slave, name);
        }
        catch
        {
            Libc.CloseIfOpen(slave);
            Libc.CloseIfOpen(master);
            throw;
        }
    }

    /// <summary>Echo off: a password written to the master must not come back as terminal output.</summary>
    private static unsafe void DisableEcho(int slave)
    {
        byte* termios = stackalloc byte[Spawn.TermiosBufferSize];
        new Span<byte>(termios, Spawn.TermiosBufferSize).Clear();
        if (Spawn.TcGetAttr(slave, termios) != 0)
        {
            throw Spawn.Failure("reading the pseudo-terminal's settings", Marshal.GetLastPInvokeError());
        }

        uint* localFlags = (uint*)(termios + Spawn.TermiosLflagOffset);
        *localFlags &= ~(Spawn.Echo | Spawn.Echonl);
        if (Spawn.TcSetAttr(slave, Spawn.Tcsanow, termios) != 0)
        {
            throw Spawn.Failure("turning the pseudo-terminal's echo off", Marshal.GetLastPInvokeError());
        }
    }
}
