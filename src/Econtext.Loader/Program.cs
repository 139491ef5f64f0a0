using System;
using System.IO;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Loader;
using Microsoft.Win32.SafeHandles;

namespace Econtext.Loader;

/// <summary>
/// Stage 1. Moves the core image from stdin into an anonymous memory file and loads it from there,
/// so the core keeps its ReadyToRun code and nothing of ours stays on disk, then hands over to the
/// core, which deletes the two files stage 0 wrote. Prints nothing to stdout: that is the protocol
/// stream. This assembly has no ReadyToRun code, so everything here is compiled at each start:
/// it does as little as it can, with no lambda, no reflection invoke and no marshalled call.
/// </summary>
internal static unsafe class Program
{
    private const uint MfdCloexec = 1;

    private static int Main(string[] args)
    {
        // "libc" names no file: the runtime would try a dozen paths and names for it before settling
        // on the C library this process already runs with, which the main program's handle finds at
        // once, glibc or musl alike.
        NativeLibrary.SetDllImportResolver(typeof(Program).Assembly, ResolveLibc);
        int fd = CreateMemoryFile();
        if (fd < 0)
        {
            return Fail("memfd_create failed, errno " + Marshal.GetLastSystemError(), args);
        }

        try
        {
            using var input = new FileStream(new SafeFileHandle(0, ownsHandle: false), FileAccess.Read, bufferSize: 0);
            int length = ReadInt32BigEndian(input);
            int inflatedLength = length < 0 ? ReadInt32BigEndian(input) : 0;
            int entryToken = ReadInt32BigEndian(input);
            if (length >= 0)
            {
                CopyRaw(input, fd, length);
            }
            else
            {
                WriteAll(fd, ReadDeflated(input, length & int.MaxValue, inflatedLength));
            }

            Assembly core = AssemblyLoadContext.Default.LoadFromAssemblyPath("/proc/self/fd/" + fd);

            // Econtext.Bootstrap.ChildMain.Run(int, string), by the metadata token the parent read off
            // this same image, called through its entry point: a lookup by name would start the
            // runtime's type-name parser and a reflection invoke its invoker, together ~15 ms here.
            RuntimeMethodHandle run = core.ManifestModule.ModuleHandle.ResolveMethodHandle(entryToken);
            return ((delegate*<int, string?, int>)run.GetFunctionPointer())(fd, args.Length > 0 ? args[0] : null);
        }
        catch (EndOfStreamException)
        {
            // The parent went away before sending the core: nothing to do but clean up.
            DeleteStagedFiles(args);
            return 0;
        }
        catch (Exception ex)
        {
            return Fail(ex.ToString(), args);
        }
    }

    /// <summary>A method of its own so that compiling Main does not load System.Console for a start that succeeds.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static int Fail(string what, string[] args)
    {
        DeleteStagedFiles(args);
        Console.Error.WriteLine("econtext loader: " + what);
        return 70;
    }

    /// <summary>
    /// When the core never runs, the loader removes what stage 0 wrote itself (the core does it
    /// otherwise, first thing): PREFIX.dll and PREFIX.json, which the runtime has open by now.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static void DeleteStagedFiles(string[] args)
    {
        if (args.Length == 0)
        {
            return;
        }

        foreach (string path in (string[])[args[0] + ".dll", args[0] + ".json"])
        {
            try
            {
                File.Delete(path);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Private to this process, in a tmpfs; nothing more to do.
            }
        }
    }

    /// <summary>Outside Main's try block, where the JIT cannot inline a native call and would compile a stub for it.</summary>
    private static int CreateMemoryFile()
    {
        fixed (byte* name = "econtext-core\0"u8)
        {
            return memfd_create(name, MfdCloexec);
        }
    }

    private static IntPtr ResolveLibc(string name, Assembly assembly, DllImportSearchPath? path) =>
        name == "libc" ? NativeLibrary.GetMainProgramHandle() : IntPtr.Zero;

    /// <summary>
    /// The raw image, moved from the pipe into the memory file by splice(2): no copy through this
    /// process and no megabyte-sized array for the GC to hold. When splice cannot start (stdin is
    /// not a pipe, say a socket), through a buffer instead.
    /// </summary>
    private static void CopyRaw(FileStream input, int fd, int length)
    {
        int left = length;
        while (left > 0)
        {
            nint moved = splice(0, null, fd, null, (nuint)left, 0);
            if (moved > 0)
            {
                left -= (int)moved;
            }
            else if (moved == 0)
            {
                throw new EndOfStreamException();
            }
            else if (left != length)
            {
                throw new IOException("splice from stdin failed after " + (length - left) + " of " + length + " bytes, errno " + Marshal.GetLastSystemError());
            }
            else
            {
                byte[] image = new byte[length];
                input.ReadExactly(image);
                WriteAll(fd, image);
                return;
            }
        }
    }

    /// <summary>
    /// The core as raw DEFLATE (the top bit of the length set). The parent sends it so over ssh,
    /// where a megabyte written into a session that has just started costs sshd far more than half
    /// of one. Kept out of Main so that a raw start never loads System.IO.Compression.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static byte[] ReadDeflated(Stream input, int packedLength, int size)
    {
        var packed = new byte[packedLength];
        input.ReadExactly(packed);
        var image = new byte[size];
        using var inflate = new System.IO.Compression.DeflateStream(new MemoryStream(packed), System.IO.Compression.CompressionMode.Decompress);
        inflate.ReadExactly(image);
        return image;
    }

    private static void WriteAll(int fd, byte[] bytes)
    {
        using var memory = new FileStream(new SafeFileHandle(fd, ownsHandle: false), FileAccess.Write, bufferSize: 0);
        memory.Write(bytes);
    }

    private static int ReadInt32BigEndian(Stream input)
    {
        Span<byte> bytes = stackalloc byte[4];
        input.ReadExactly(bytes);
        return (bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3];
    }

    // Blittable, no SetLastError: the JIT calls these inline, with no marshalling stub to compile.
    [DllImport("libc", EntryPoint = "memfd_create")]
    private static extern int memfd_create(byte* name, uint flags);

    [DllImport("libc", EntryPoint = "splice")]
    private static extern nint splice(int fdIn, long* offIn, int fdOut, long* offOut, nuint length, uint flags);
}
