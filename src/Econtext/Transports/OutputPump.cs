using System.Runtime.InteropServices;
using System.Text;
using Econtext.Native;
using Microsoft.Win32.SafeHandles;

namespace Econtext.Transports;

/// <summary>
/// Reads a transport's stderr or terminal as it arrives, a chunk per readiness on
/// <see cref="DescriptorPoller"/>'s thread (or on a thread of its own when the poller cannot run):
/// complete lines go to the line callback; an unfinished line is offered to the prompt callback,
/// which takes it when it is a password prompt it answered; what is left at the end goes to the rest
/// callback. The descriptor stays open until the end (EOF, or EIO from a terminal whose other side
/// has gone), even if the stream that owns it is disposed meanwhile, so its number cannot be reused
/// under the poller.
/// </summary>
internal sealed class OutputPump : IPolledDescriptor
{
    private const int ChunkSize = 4096;

    private readonly SafeFileHandle _handle;
    private readonly Action<string> _line;
    private readonly Func<string, bool>? _prompt;
    private readonly Action<string> _rest;
    private readonly Decoder _decoder = Encoding.UTF8.GetDecoder();
    private readonly StringBuilder _pending = new();
    private readonly byte[] _buffer = new byte[ChunkSize];
    private readonly char[] _chars = new char[Encoding.UTF8.GetMaxCharCount(ChunkSize)];
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly int _descriptor;

    private OutputPump(SafeFileHandle handle, Action<string> line, Func<string, bool>? prompt, Action<string> rest)
    {
        _handle = handle;
        _line = line;
        _prompt = prompt;
        _rest = rest;
        bool added = false;
        handle.DangerousAddRef(ref added);
        _descriptor = (int)handle.DangerousGetHandle();
    }

    /// <summary>Completes once the stream has ended and everything in it has been handed on.</summary>
    public Task Drained => _drained.Task;

    int IPolledDescriptor.Descriptor => _descriptor;

    /// <summary>
    /// Starts reading <paramref name="handle"/>. <paramref name="line"/> gets each complete line
    /// (without its line end; exceptions it throws are dropped, the pump goes on);
    /// <paramref name="prompt"/>, if given, gets the unfinished line after each chunk and returns
    /// true if it consumed it; <paramref name="rest"/> gets an unfinished line left at the end.
    /// </summary>
    public static OutputPump Start(SafeFileHandle handle, Action<string> line, Func<string, bool>? prompt, Action<string> rest)
    {
        var pump = new OutputPump(handle, line, prompt, rest);
        if (!DescriptorPoller.TryWatch(pump))
        {
            IPolledDescriptor blocking = pump;
            var thread = new Thread(() =>
            {
                // A read on a descriptor without O_NONBLOCK waits for input, so this is the old pump.
                while (!blocking.OnReady())
                {
                }
            })
            {
                IsBackground = true,
                Name = "Econtext transport output",
            };
            thread.UnsafeStart();
        }

        return pump;
    }

    unsafe bool IPolledDescriptor.OnReady()
    {
        nint count;
        int error = 0;
        fixed (byte* bytes = _buffer)
        {
            do
            {
                count = Libc.Read(_descriptor, bytes, ChunkSize);
                error = count < 0 ? Marshal.GetLastPInvokeError() : 0;
            }
            while (error == Libc.Eintr);
        }

        if (error == Libc.Eagain)
        {
            return false;
        }

        if (count <= 0)
        {
            Finish();
            return true;
        }

        _pending.Append(_chars, 0, _decoder.GetChars(_buffer, 0, (int)count, _chars, 0));
        int newline;
        while ((newline = IndexOfNewline(_pending)) >= 0)
        {
            string text = _pending.ToString(0, newline).TrimEnd('\r');
            _pending.Remove(0, newline + 1);
            if (text.Length > 0)
            {
                HandOn(text);
            }
        }

        if (_prompt is not null && _pending.Length > 0 && Offer(_prompt, _pending.ToString()))
        {
            _pending.Clear();
        }

        return false;
    }

    private void HandOn(string text) => Offer(text => { _line(text); return true; }, text);

    /// <summary>
    /// Runs a callback, whose failure must not stop the pump (the transport's writes would block once
    /// the pipe filled) nor the poller thread that every other transport shares.
    /// </summary>
    private static bool Offer(Func<string, bool> callback, string text)
    {
        try
        {
            return callback(text);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return false;
        }
    }

    private void Finish()
    {
        if (_pending.Length > 0)
        {
            Offer(text => { _rest(text); return true; }, _pending.ToString());
            _pending.Clear();
        }

        _handle.DangerousRelease();
        _drained.TrySetResult();
    }

    private static int IndexOfNewline(StringBuilder text)
    {
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] == '\n')
            {
                return i;
            }
        }

        return -1;
    }
}
