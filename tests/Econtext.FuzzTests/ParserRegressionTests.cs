using System.Text;
using Econtext.Calls;
using Econtext.Files;
using Econtext.Wire;

namespace Econtext.FuzzTests;

/// <summary>
/// Inputs the fuzzer found that made a parser throw something other than
/// <see cref="ProtocolViolationException"/>, kept so they stay fixed.
/// </summary>
public class ParserRegressionTests
{
    /// <summary>A reply payload: the JSON behind its i32 length, then no attachments.</summary>
    private static byte[] Reply(string json)
    {
        byte[] text = Encoding.UTF8.GetBytes(json);
        var frame = new FrameBuilder();
        frame.WriteInt32(text.Length);
        frame.WriteBytes(text);
        frame.WriteInt32(0);
        return Seeds.Payload(frame);
    }

    [Theory(Timeout = 10_000)]
    [InlineData("1\u0000", typeof(int))] // found by ReplyValue: JsonReaderException
    [InlineData("\"abc\"", typeof(int))] // a string where a number is due: InvalidOperationException
    [InlineData("\"abc\"", typeof(double))] // a named float that is none: FormatException
    [InlineData("300", typeof(byte))] // FormatException from the reader
    [InlineData("{\"Host\":1}", typeof(Bag))] // JsonException from the serializer
    [InlineData("\"\"", typeof(Guid))] // an empty string for a Guid: FormatException
    [InlineData("7", typeof(byte[]))] // an attachment index that does not exist
    public async Task AReplyValueThatIsNotItsDeclaredTypeIsAProtocolViolation(string json, Type type)
    {
        await Task.Yield();
        byte[] payload = Reply(json);
        var ex = Assert.Throws<ProtocolViolationException>(() => CallCodec.ReadValue(payload, payload.Length, type));
        Assert.Contains(type.Name, ex.Message, StringComparison.Ordinal);
    }

    [Fact(Timeout = 10_000)]
    public async Task AnEmptyReplyValueForAValueTypeIsAProtocolViolation()
    {
        await Task.Yield();
        // An empty value means "no result" (a void method); read as an int it was null, and the
        // caller's cast of null to int threw NullReferenceException (on the receive loop, for a channel item).
        byte[] payload = Reply(string.Empty);
        Assert.Throws<ProtocolViolationException>(() => CallCodec.ReadValue(payload, payload.Length, typeof(int)));
        Assert.Null(CallCodec.ReadValue(payload, payload.Length, typeof(string)));
        Assert.Null(CallCodec.ReadValue(payload, payload.Length, null));
    }

    [Fact(Timeout = 10_000)]
    public async Task AnErrorReplyWithBrokenJsonIsAProtocolViolation()
    {
        await Task.Yield();
        // Found by ErrorReply: a NUL inside a string of a nested error; JsonException before.
        byte[] payload = Encoding.UTF8.GetBytes("{\"Type\":\"X\",\"Message\":\"a\u0000b\",\"Context\":\"c\"}");
        var ex = Assert.Throws<ProtocolViolationException>(() => CallCodec.ReadError(payload, payload.Length));
        Assert.Contains("error reply", ex.Message, StringComparison.Ordinal);
    }

    [Fact(Timeout = 10_000)]
    public async Task AnErrorReplyThatIsNotAnObjectIsAProtocolViolation()
    {
        await Task.Yield();
        byte[] payload = "[1,2]"u8.ToArray();
        Assert.Throws<ProtocolViolationException>(() => CallCodec.ReadError(payload, payload.Length));
    }

    [Fact(Timeout = 10_000)]
    public async Task AShortFileFactsReplyIsAProtocolViolation()
    {
        await Task.Yield();
        // Found by FileFacts: the last reply of a FILE_GET with fewer than its 20 bytes;
        // ArgumentOutOfRangeException on the receive loop before, which broke the stream as an "internal error".
        var pending = new PendingFile("/srv/a", _ => { });
        byte[] payload = [0, 0, 0, 0, 0, 0, 4, 0xD2, 0, 0];
        var ex = Assert.Throws<ProtocolViolationException>(() => pending.Complete(PayloadFuzzTests.MessageFrom(0, 1000, MessageFlags.None, payload)));
        Assert.Contains("payload ends early", ex.Message, StringComparison.Ordinal);
    }
}
