using System.Runtime.InteropServices;
using System.Text;
using Econtext.Forwarding;
using Econtext.Native;
using Microsoft.Win32.SafeHandles;

namespace Econtext.Transports;

/// <summary>
/// Reads a transport's stderr or terminal as it arrives, a chunk per readiness on
/// <see cref="DescriptorPoller"/>'s thread (or on a thread of its own when the poller cannot run):
/// complete lines go to the line callback; an unfinished line is offered to the prompt callback,
/// which takes it when it is a password prompt it answered; what is left at the end goes to the rest
/// callback. A line is held only up to <see cref="LineCap.MaxLineBytes"/>: a transport (a compromised
/// ssh host, a sudo target) that writes without ever ending its line gets it passed on in pieces
/// marked with <see cref="LineCap.CutMarker"/>, and each chunk costs work in its own size, not in the
/// size of the line so far. The descriptor stays open until the end (EOF, or EIO from a terminal whose other side
/// has gone), even if the stream that owns it is disposed meanwhile, so its number cannot be reused
/// under the poller.
/// </summary>
internal sealed class OutputPump : IPolledDescriptor
{
    private const int ChunkSize = 4096;

    /// <summary>
    /// An unfinished line longer than this is not offered as a prompt: no password prompt is that
    /// long, and offering means decoding all that is held after every chunk.
    /// </summary>
    private const int MaxPromptBytes = 4096;

    private readonly SafeFileHandle _handle;
    private readonly Action<string> _line;
    private readonly Func<string, bool>? _prompt;
    private readonly Action<string> _rest;
    private readonly byte[] _buffer = new byte[ChunkSize];

    // The unfinished line, as bytes: decoded once it ends (or is cut), so a character split
    // between two reads is never decoded in halves.
    private byte[] _held = new byte[ChunkSize];
    private int _heldCount;
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

        ReadOnlySpan<byte> rest = _buffer.AsSpan(0, (int)count);
        while (true)
        {
            int newline = rest.IndexOf((byte)'\n');
            ReadOnlySpan<byte> text = newline < 0 ? rest : rest[..newline];
            while (_heldCount + text.Length > LineCap.MaxLineBytes)
            {
                int take = LineCap.CutPoint(_heldCount, text);
                Hold(text[..take]);
                text = text[take..];
                HandOn(TakeHeld() + LineCap.CutMarker);
            }

            Hold(text);
            if (newline < 0)
            {
                break;
            }

            string line = TakeHeld().TrimEnd('\r');
            if (line.Length > 0)
            {
                HandOn(line);
            }

            rest = rest[(newline + 1)..];
        }

        if (_prompt is not null && _heldCount is > 0 and <= MaxPromptBytes && Offer(_prompt, Encoding.UTF8.GetString(_held, 0, _heldCount)))
        {
            _heldCount = 0;
        }

        return false;
    }

    private void Hold(ReadOnlySpan<byte> bytes)
    {
        if (_heldCount + bytes.Length > _held.Length)
        {
            Array.Resize(ref _held, Math.Min(Math.Max(_held.Length * 2, _heldCount + bytes.Length), LineCap.MaxLineBytes));
        }

        bytes.CopyTo(_held.AsSpan(_heldCount));
        _heldCount += bytes.Length;
    }

    private string TakeHeld()
    {
        string text = Encoding.UTF8.GetString(_held, 0, _heldCount);
        _heldCount = 0;
        return text;
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
        if (_heldCount > 0)
        {
            Offer(text => { _rest(text); return true; }, TakeHeld());
        }

        _handle.DangerousRelease();
        _drained.TrySetResult();
    }
}
