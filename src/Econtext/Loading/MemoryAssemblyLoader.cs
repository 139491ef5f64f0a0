using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Loader;
using Econtext.Native;
using Microsoft.Win32.SafeHandles;

namespace Econtext.Loading;

/// <summary>
/// Loads an image without writing it to disk: an anonymous memory file, loaded through its
/// /proc/self/fd path. Loading from a path keeps ReadyToRun code; Assembly.Load(byte[]) would not.
/// </summary>
[System.Diagnostics.CodeAnalysis.RequiresUnreferencedCode(AotNotes.Child)]
internal static class MemoryAssemblyLoader
{
    public static Assembly Load(string name, ReadOnlySpan<byte> image)
    {
        int fd = Libc.MemfdCreate("econtext:" + name, Libc.MfdCloexec);
        if (fd < 0)
        {
            throw new IOException($"memfd_create for {name} failed, errno {Marshal.GetLastPInvokeError()}");
        }

        // The descriptor stays open for the life of the process: the runtime maps the image from it.
        using (var file = new FileStream(new SafeFileHandle(fd, ownsHandle: false), FileAccess.Write, bufferSize: 0))
        {
            file.Write(image);
        }

        return AssemblyLoadContext.Default.LoadFromAssemblyPath("/proc/self/fd/" + fd.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }
}
