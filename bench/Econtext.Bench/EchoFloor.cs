using System.Diagnostics;

namespace Econtext.Bench;

/// <summary>
/// The round trip of the transport alone: 64 bytes written to a `cat` at the far end of a pipe
/// (local) or of an ssh session (same options as Econtext's, a session of its own as our child's:
/// NewSession.cs), read back, repeated. No .NET on the far
/// side and blocking reads on this one, so it is the floor a call's round trip sits on. One `cat`
/// stays up for the whole measure, so its samples can be taken in blocks between blocks of our calls
/// (Interleaved.cs) and both see the same state of the machine.
/// </summary>
internal sealed class EchoFloor : IDisposable
{
    private const int MessageBytes = 64;
    private readonly Process _echo;
    private readonly Stream _input;
    private readonly Stream _output;
    private readonly byte[] _message = new byte[MessageBytes];
    private readonly byte[] _back = new byte[MessageBytes];

    private EchoFloor(ProcessStartInfo start)
    {
        start.RedirectStandardInput = true;
        start.RedirectStandardOutput = true;
        start.UseShellExecute = false;
        _echo = Process.Start(start) ?? throw new InvalidOperationException($"{start.FileName} did not start");
        _input = _echo.StandardInput.BaseStream;
        _output = _echo.StandardOutput.BaseStream;
    }

    public static EchoFloor Local() => new(NewSession.Start("cat", []));

    public static EchoFloor Ssh(string config, string host) =>
        new(NewSession.Start("ssh", ["-F", config, "-o", "BatchMode=yes", "-o", "Compression=no", "-T", host, "cat"]));

    /// <summary><paramref name="calls"/> echoes, in µs each (blocking, on a pool thread).</summary>
    public Task<List<double>> SamplesUsAsync(int calls) => Task.Run(() =>
    {
        var samples = new List<double>(calls);
        for (int i = 0; i < calls; i++)
        {
            long begin = Stopwatch.GetTimestamp();
            _input.Write(_message);
            _input.Flush();
            _output.ReadExactly(_back);
            samples.Add(Stopwatch.GetElapsedTime(begin).TotalMicroseconds);
        }

        return samples;
    });

    public void Dispose()
    {
        _input.Close();
        _echo.WaitForExit();
        _echo.Dispose();
    }
}
