using System.Diagnostics;

namespace Econtext.Bench;

/// <summary>
/// The round trip of the transport alone: 64 bytes written to a `cat` at the far end of the same
/// pipe (local) or ssh session (same options as Econtext's), read back, repeated. No .NET on the far
/// side and blocking reads on this one, so it is the floor a call's round trip sits on.
/// </summary>
internal static class EchoFloor
{
    private const int MessageBytes = 64;

    public static Task<List<double>> LocalSamplesUsAsync(int calls, int warmup) =>
        SamplesUsAsync(new ProcessStartInfo("cat"), calls, warmup);

    public static Task<List<double>> SshSamplesUsAsync(string config, string host, int calls, int warmup)
    {
        var start = new ProcessStartInfo("ssh");
        foreach (string argument in (string[])["-F", config, "-o", "BatchMode=yes", "-o", "Compression=no", "-T", host, "cat"])
        {
            start.ArgumentList.Add(argument);
        }

        return SamplesUsAsync(start, calls, warmup);
    }

    private static Task<List<double>> SamplesUsAsync(ProcessStartInfo start, int calls, int warmup) => Task.Run(() =>
    {
        start.RedirectStandardInput = true;
        start.RedirectStandardOutput = true;
        start.UseShellExecute = false;
        using Process echo = Process.Start(start) ?? throw new InvalidOperationException($"{start.FileName} did not start");
        Stream input = echo.StandardInput.BaseStream;
        Stream output = echo.StandardOutput.BaseStream;
        byte[] message = new byte[MessageBytes];
        byte[] back = new byte[MessageBytes];
        var samples = new List<double>(calls);
        try
        {
            for (int i = 0; i < warmup + calls; i++)
            {
                long begin = Stopwatch.GetTimestamp();
                input.Write(message);
                input.Flush();
                output.ReadExactly(back);
                if (i >= warmup)
                {
                    samples.Add(Stopwatch.GetElapsedTime(begin).TotalMicroseconds);
                }
            }
        }
        finally
        {
            input.Close();
            echo.WaitForExit();
        }

        return samples;
    });
}
