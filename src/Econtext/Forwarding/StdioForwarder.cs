using System.Runtime.InteropServices;
using Econtext.Native;
using Econtext.Wire;

namespace Econtext.Forwarding;

/// <summary>
/// In a child, fd 1 and fd 2 are pipes read here (so processes the child starts are captured too, not
/// only Console); each chunk goes to the master as STDIO. The protocol uses other descriptors.
/// </summary>
internal sealed class StdioForwarder
{
    private readonly Router _router;
    private readonly int _fd;
    private readonly byte _stream;
    private readonly ManualResetEventSlim _progress = new();
    private volatile bool _busy;
    private volatile bool _closed;

    public StdioForwarder(Router router, int readFd, byte stream)
    {
        _router = router;
        _fd = readFd;
        _stream = stream;
        var thread = new Thread(Pump) { IsBackground = true, Name = stream == RemoteOutput.StdoutStream ? "econtext stdout" : "econtext stderr" };
        thread.Start();
    }

    /// <summary>
    /// Waits until everything written to the pipe so far has been forwarded, or the time is up. No
    /// EOF can be waited for: Console and processes the child started hold copies of the writing end.
    /// Data leaves the pipe only while the pump is marked busy, so an empty pipe and an idle pump
    /// mean all of it was sent.
    /// </summary>
    public bool Drain(TimeSpan timeout)
    {
        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (!_closed)
        {
            // Pipe first, then the pump: data leaves the pipe only while the pump is busy, so an empty
            // pipe followed by an idle pump means it was all sent. The other order has a window where
            // the pump empties the pipe between the two reads.
            if (Libc.BytesAvailable(_fd) <= 0 && !_busy)
            {
                return true;
            }

            long left = deadline - Environment.TickCount64;
            if (left <= 0)
            {
                return false;
            }

            _progress.Reset();
            _progress.Wait(TimeSpan.FromMilliseconds(Math.Min(left, 10)));
        }

        return true;
    }

    private unsafe void Pump()
    {
        byte[] buffer = new byte[32 * 1024];
        var poll = new PollFd { Fd = _fd, Events = Libc.PollIn };
        try
        {
            while (true)
            {
                poll.Revents = 0;
                if (Libc.Poll(&poll, 1, -1) < 0)
                {
                    if (Marshal.GetLastPInvokeError() == 4)
                    {
                        continue; // EINTR
                    }

                    return;
                }

                _busy = true;
                nint n;
                fixed (byte* target = buffer)
                {
                    n = Libc.Read(_fd, target, (nuint)buffer.Length);
                }

                if (n <= 0)
                {
                    if (n < 0 && Marshal.GetLastPInvokeError() == 4)
                    {
                        _busy = false;
                        continue;
                    }

                    return;
                }

                var frame = new FrameBuilder((int)n + 1);
                frame.WriteBytes([_stream]);
                frame.WriteBytes(buffer.AsSpan(0, (int)n));
                _router.Outbox.SendUpward(Handles.Stdio, frame);
                _busy = false;
                _progress.Set();
            }
        }
        finally
        {
            _closed = true;
            _busy = false;
            _progress.Set();
        }
    }
}
