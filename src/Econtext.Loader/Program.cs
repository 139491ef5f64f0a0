using System;
using System.IO;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Loader;
using Microsoft.Win32.SafeHandles;

namespace Econtext.Loader;

/// <summary>
/// Stage 1. Deletes the two files stage 0 wrote, reads the core image from stdin, places it in an
/// anonymous memory file and loads it from there, so the core keeps its ReadyToRun code and nothing
/// of ours stays on disk. Prints nothing to stdout: that is the protocol stream.
/// </summary>
internal static partial class Program
{
    private const uint MfdCloexec = 1;

    private static int Main(string[] args)
    {
        if (args.Length > 0)
        {
            // Stage 0 wrote PREFIX.dll and PREFIX.json; the runtime has both open or mapped by now.
            TryDelete(args[0] + ".dll");
            TryDelete(args[0] + ".json");
        }

        try
        {
            using var input = new FileStream(new SafeFileHandle(0, ownsHandle: false), FileAccess.Read, bufferSize: 0);
            int length = ReadInt32BigEndian(input);
            byte[] image;
            if (length >= 0)
            {
                image = new byte[length];
                input.ReadExactly(image);
            }
            else
            {
                image = ReadDeflated(input, length & int.MaxValue);
            }

            int fd = MemfdCreate("econtext-core", MfdCloexec);
            if (fd < 0)
            {
                Console.Error.WriteLine("econtext loader: memfd_create failed, errno " + Marshal.GetLastPInvokeError());
                return 70;
            }

            using (var memory = new FileStream(new SafeFileHandle(fd, ownsHandle: false), FileAccess.Write, bufferSize: 0))
            {
                memory.Write(image);
            }

            Assembly core = AssemblyLoadContext.Default.LoadFromAssemblyPath("/proc/self/fd/" + fd);
            Type entry = core.GetType("Econtext.Bootstrap.ChildMain", throwOnError: true)!;
            MethodInfo run = entry.GetMethod("Run", BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic)!;
            return (int)run.Invoke(null, BindingFlags.DoNotWrapExceptions, null, [fd], null)!;
        }
        catch (EndOfStreamException)
        {
            // The parent went away before sending the core: nothing to do.
            return 0;
        }
        catch (Exception ex)
        {
            Console.Error.WriteLine("econtext loader: " + ex);
            return 70;
        }
    }

    /// <summary>
    /// The core as raw DEFLATE (the top bit of the length set): the size it inflates to, then the
    /// compressed bytes. The parent sends it so over ssh, where a megabyte written into a session
    /// that has just started costs sshd far more than half of one. Kept out of Main so that a raw
    /// start never loads System.IO.Compression.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static byte[] ReadDeflated(Stream input, int packedLength)
    {
        int size = ReadInt32BigEndian(input);
        var packed = new byte[packedLength];
        input.ReadExactly(packed);
        var image = new byte[size];
        using var inflate = new System.IO.Compression.DeflateStream(new MemoryStream(packed), System.IO.Compression.CompressionMode.Decompress);
        inflate.ReadExactly(image);
        return image;
    }

    private static int ReadInt32BigEndian(Stream input)
    {
        var bytes = new byte[4];
        input.ReadExactly(bytes);
        return (bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3];
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // The file is private to this process; failing to remove it must not stop the start.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    [LibraryImport("libc", EntryPoint = "memfd_create", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int MemfdCreate(string name, uint flags);
}
