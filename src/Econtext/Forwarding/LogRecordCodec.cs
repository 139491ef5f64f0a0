using System.Text;
using Econtext.Wire;
using Microsoft.Extensions.Logging;

namespace Econtext.Forwarding;

/// <summary>FORWARD_LOG payload: level, event id, category, message, exception text (docs/protocol.md).</summary>
internal static class LogRecordCodec
{
    public static void Write(FrameBuilder frame, LogLevel level, int eventId, string category, string message, string? exception)
    {
        frame.WriteBytes([(byte)level]);
        frame.WriteInt32(eventId);
        frame.WriteShortString(category.Length > 1000 ? category[..1000] : category);
        WriteLong(frame, message);
        WriteLong(frame, exception ?? string.Empty);
    }

    public static (LogLevel Level, int EventId, string Category, string Message, string Exception) Read(ReadOnlySpan<byte> payload)
    {
        var reader = new PayloadReader(payload);
        var level = (LogLevel)reader.ReadBytes(1)[0];
        if (level is < LogLevel.Trace or > LogLevel.Critical)
        {
            throw new ProtocolViolationException($"log level {(int)level} does not exist");
        }

        int eventId = reader.ReadInt32();
        string category = reader.ReadShortString();
        string message = Encoding.UTF8.GetString(reader.ReadBlock());
        string exception = Encoding.UTF8.GetString(reader.ReadBlock());
        return (level, eventId, category, message, exception);
    }

    private static void WriteLong(FrameBuilder frame, string text)
    {
        int at = frame.ReserveInt32();
        int max = Encoding.UTF8.GetMaxByteCount(text.Length);
        int written = Encoding.UTF8.GetBytes(text, frame.GetSpan(max));
        frame.Advance(written);
        frame.PatchInt32(at, written);
    }
}
