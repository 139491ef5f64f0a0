using System.Text;
using Econtext.Wire;

namespace Econtext.Routing;

/// <summary>
/// EVICT's payload: the offender's id, then why (UTF-8 to the end). A router that finds a frame
/// malformed charges it to the context that sent it, not to the stream it came on: the stream may be
/// an honest intermediate's that only relayed it. docs/protocol.md, EVICT.
/// </summary>
internal static class Eviction
{
    /// <summary>The longest reason carried: enough for a person, never a lever to make frames large.</summary>
    private const int MaxReasonBytes = 1024;

    public static FrameBuilder Frame(int offender, string reason)
    {
        byte[] text = Encoding.UTF8.GetBytes(reason);
        var frame = new FrameBuilder(8 + Math.Min(text.Length, MaxReasonBytes));
        frame.WriteInt32(offender);
        frame.WriteBytes(text.AsSpan(0, Math.Min(text.Length, MaxReasonBytes)));
        return frame;
    }

    public static (int Offender, string Reason) Read(ReadOnlySpan<byte> payload)
    {
        var reader = new PayloadReader(payload);
        int offender = reader.ReadInt32();
        return (offender, Encoding.UTF8.GetString(reader.ReadBytes(reader.Remaining)));
    }
}
