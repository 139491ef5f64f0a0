using Econtext.Wire;

namespace Econtext.Tests;

public class MessageHeaderTests
{
    [Fact]
    public void RoundTripsEveryField()
    {
        var header = new MessageHeader(Dst: 7, Src: -3, Auth: 0, Handle: 1001, ReplyTo: 1002, Flags: MessageFlags.Error, Length: 12345);
        byte[] bytes = new byte[MessageHeader.Size];
        header.Write(bytes);

        Assert.Equal((byte)'E', bytes[0]);
        Assert.Equal((byte)'C', bytes[1]);
        Assert.Equal(1, bytes[2]);
        Assert.Equal(new byte[] { 0, 0, 0x30, 0x39 }, bytes[24..28]);
        Assert.True(MessageHeader.TryRead(bytes, 1 << 20, out MessageHeader read, out string? error));
        Assert.Null(error);
        Assert.Equal(header, read);
    }

    [Fact]
    public void RefusesBadMagicWithAnExplanation()
    {
        byte[] bytes = "HTTP/1.1 200 OK garbage bytes"u8.ToArray()[..MessageHeader.Size];
        Assert.False(MessageHeader.TryRead(bytes, 1 << 20, out _, out string? error));
        Assert.Contains("bad magic", error, StringComparison.Ordinal);
        Assert.Contains("not speaking the Econtext protocol", error, StringComparison.Ordinal);
    }

    [Fact]
    public void RefusesOtherVersions()
    {
        byte[] bytes = new byte[MessageHeader.Size];
        new MessageHeader(1, 0, 0, 1, 0, MessageFlags.None, 0).Write(bytes);
        bytes[2] = 9;
        Assert.False(MessageHeader.TryRead(bytes, 1 << 20, out _, out string? error));
        Assert.Contains("version 9", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1024 * 1024 + 1)]
    [InlineData(-1)]
    [InlineData(int.MaxValue)]
    public void RefusesLengthsOverTheMaximumBeforeAllocating(int length)
    {
        byte[] bytes = new byte[MessageHeader.Size];
        new MessageHeader(1, 0, 0, 1, 0, MessageFlags.None, 0).Write(bytes);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(24), length);
        Assert.False(MessageHeader.TryRead(bytes, 1024 * 1024, out _, out string? error));
        Assert.Contains("over the maximum message size", error, StringComparison.Ordinal);
        Assert.Contains("MaxMessageSize", error, StringComparison.Ordinal);
    }
}
