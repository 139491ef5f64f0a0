using System.Buffers.Binary;
using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Econtext.IntegrationTests.Remote;

/// <summary>Runs in a context: prints and logs in every way a method might.</summary>
public static class Output
{
    public static void Stdout(string line) => Console.WriteLine(line);

    public static void Stderr(string line) => Console.Error.WriteLine(line);

    /// <summary>Text without a line end: only the end of the context completes the line.</summary>
    public static void Partial(string text)
    {
        Console.Write(text);
        Console.Out.Flush();
    }

    /// <summary>
    /// <paramref name="bytes"/> of 'x' on fd 1 without a line end, in 1 MiB writes, then a line end
    /// and <paramref name="endMarker"/> on a line of its own.
    /// </summary>
    public static void Unterminated(int bytes, string endMarker)
    {
        using Stream stdout = Console.OpenStandardOutput();
        byte[] chunk = new byte[1024 * 1024];
        Array.Fill(chunk, (byte)'x');
        for (int left = bytes; left > 0; left -= chunk.Length)
        {
            stdout.Write(chunk, 0, Math.Min(left, chunk.Length));
        }

        stdout.Write(System.Text.Encoding.UTF8.GetBytes("\n" + endMarker + "\n"));
        stdout.Flush();
    }

    /// <summary>Runs /bin/echo, which inherits the child's fd 1.</summary>
    public static int EchoProcess(string text) => Run("/bin/echo", text);

    /// <summary>Runs a shell that prints on its fd 2.</summary>
    public static int ShellToStderr(string text) => Run("/bin/sh", "-c", "echo \"$0\" >&2", text);

    /// <summary>Writes bytes that look like protocol frames (magic, version, a header asking for a call) to fd 1.</summary>
    public static void ProtocolGarbage(string marker)
    {
        using Stream stdout = Console.OpenStandardOutput();
        byte[] header = new byte[28];
        header[0] = (byte)'E';
        header[1] = (byte)'C';
        header[2] = 1;
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), 0);      // dst: the master
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(8), 1);      // src
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(12), 0);     // auth
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(16), 1);     // CALL
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(20), 1000);  // reply-to
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(24), 0x7fff_ffff);
        stdout.Write(header);
        byte[] noise = new byte[4096];
        new Random(1234).NextBytes(noise);
        stdout.Write(noise);
        stdout.Write("\nECONTEXT-STAGE0-OK\nEC\u0001\0\0\0\0\n"u8);
        stdout.Write(System.Text.Encoding.UTF8.GetBytes(marker + "\n"));
        stdout.Flush();
    }

    public static void Log(string category, LogLevel level, string message)
    {
        ILogger logger = CurrentContext.LoggerFactory.CreateLogger(category);
#pragma warning disable CA2254 // the message is the test's data
        logger.Log(level, new EventId(7, "remote"), message);
#pragma warning restore CA2254
    }

    /// <summary>Logs one record of <paramref name="length"/> characters, made here (too large to pass as an argument).</summary>
    public static void LogLong(string category, int length) => Log(category, LogLevel.Warning, new string('x', length));

    public static void LogStructured(string category, string item, int count)
    {
        ILogger logger = CurrentContext.LoggerFactory.CreateLogger(category);
        logger.LogInformation("collected {Item} x{Count}", item, count);
    }

    public static void LogException(string category, string message)
    {
        ILogger logger = CurrentContext.LoggerFactory.CreateLogger(category);
        try
        {
            throw new InvalidDataException("bad data in " + message);
        }
        catch (InvalidDataException ex)
        {
#pragma warning disable CA2254
            logger.LogError(ex, message);
#pragma warning restore CA2254
        }
    }

    private static int Run(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { UseShellExecute = false };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(start)!;
        process.WaitForExit();
        return process.ExitCode;
    }
}
