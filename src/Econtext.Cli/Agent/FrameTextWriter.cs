using System.Text;
using Econtext.Cli.Agent.Client;

namespace Econtext.Cli.Agent;

/// <summary>A command's stdout or stderr in the agent: each write goes to the client as one frame of UTF-8.</summary>
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

        byte[] bytes = s_utf8.GetBytes(buffer.ToArray());
        try
        {
            frames.Write(kind, bytes);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            // The client went away: its command is being cancelled, and its output has nowhere to go.
            _broken = true;
        }
    }

    public override void WriteLine(string? value) => Write(string.Concat(value, "\n"));

    public override void WriteLine() => Write("\n");
}
