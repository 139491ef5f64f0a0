using Econtext.Wire;
using Microsoft.Win32.SafeHandles;

namespace Econtext.Forwarding;

/// <summary>
/// In a child, fd 1 and fd 2 are pipes read here (so processes the child starts are captured too, not
/// only Console); each chunk goes to the master as STDIO. The protocol uses other descriptors.
/// </summary>
internal sealed class StdioForwarder
{
    private readonly Router _router;
    private readonly byte _stream;
    private readonly FileStream _pipe;
    private readonly Thread _thread;

    public StdioForwarder(Router router, int readFd, byte stream)
    {
        _router = router;
        _stream = stream;
        _pipe = new FileStream(new SafeFileHandle(readFd, ownsHandle: true), FileAccess.Read, bufferSize: 0);
        _thread = new Thread(Pump) { IsBackground = true, Name = stream == RemoteOutput.StdoutStream ? "econtext stdout" : "econtext stderr" };
        _thread.Start();
    }

    /// <summary>Waits until everything written to the pipe so far has been forwarded, or the time is up.</summary>
    public bool Join(TimeSpan timeout) => _thread.Join(timeout);

    private void Pump()
    {
        byte[] buffer = new byte[32 * 1024];
        try
        {
            while (true)
            {
                int n = _pipe.Read(buffer, 0, buffer.Length);
                if (n <= 0)
                {
                    return;
                }

                var frame = new FrameBuilder(n + 1);
                frame.WriteBytes([_stream]);
                frame.WriteBytes(buffer.AsSpan(0, n));
                _router.SendUpward(Handles.Stdio, frame);
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
        }
    }
}
