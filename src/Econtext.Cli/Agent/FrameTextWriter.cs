using System.Text;
using Econtext.Cli.Agent.Client;

namespace Econtext.Cli.Agent;

/// <summary>
/// A command's stdout or stderr in the agent: each write goes to the client as one frame of UTF-8, so a
/// writer that wants few frames writes whole blocks (exec writes a host's lines a block at a time).
/// </summary>
internal sealed class FrameTextWriter(AgentFrameWriter frames, AgentFrameKind kind) : TextWriter
{
    private static readonly UTF8Encoding s_utf8 = new(encoderShouldEmitUTF8Identifier: false);
    private volatile bool _broken;

    public override Encoding Encoding => s_utf8;

    public override void Write(char value) => Write([value]);

    public override void Write(string? value) => Write(value.AsSpan());

    public override void Write(char[] buffer, int index, int count) => Write(buffer.AsSpan(index, count));

    public override void Write(ReadOnlySpan<char> buffer)
    {
        if (buffer.IsEmpty || _broken)
        {
            return;
        }

        byte[] bytes = System.Buffers.ArrayPool<byte>.Shared.Rent(s_utf8.GetMaxByteCount(buffer.Length));
        try
        {
            frames.Write(kind, bytes.AsSpan(0, s_utf8.GetBytes(buffer, bytes)));
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            // The client went away: its command is being cancelled, and its output has nowhere to go.
            _broken = true;
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(bytes);
        }
    }

    public override void WriteLine(string? value) => Write(string.Concat(value, "\n"));

    public override void WriteLine() => Write("\n");
}
