using System.Linq.Expressions;
using System.Text;
using Econtext.Calls;
using Econtext.Wire;

namespace Econtext.Tests;

public class CallCodecTests
{
    [Fact]
    public void ACallRoundTripsWithTypedArguments()
    {
        var inventory = Sample();
        Expression<Func<Inventory>> call = () => Samples.Echo(inventory);
        (MethodPlan plan, object?[] arguments) = CallCapture.Capture(call);
        using var frame = new FrameBuilder();
        CallCodec.WriteCall(frame, plan, arguments);
        byte[] payload = frame.Written.Span[MessageHeader.Size..].ToArray();

        CallRequest request = CallCodec.ReadCall(payload, payload.Length);
        Assert.Equal(typeof(Samples).Assembly.FullName, request.AssemblyName);
        Assert.Equal(typeof(Samples).Module.ModuleVersionId, request.Mvid);
        Assert.Equal(plan.MetadataToken, request.MetadataToken);
        Assert.Single(request.Arguments);
        Assert.Single(request.Attachments);
        (int offset, int length) = request.Arguments[0];
        var back = (Inventory)CallCodec.Deserialize(payload, offset, length, typeof(Inventory), request.Attachments)!;
        AssertSame(inventory, back);
    }

    [Fact]
    public void ByteArraysTravelRawNotAsBase64()
    {
        byte[] blob = Encoding.ASCII.GetBytes(new string('z', 3000));
        using var frame = new FrameBuilder();
        CallCodec.WriteValue(frame, blob, typeof(byte[]));
        byte[] payload = frame.Written.Span[MessageHeader.Size..].ToArray();
        Assert.True(payload.Length < blob.Length + 64, $"payload of {payload.Length} bytes for {blob.Length} raw bytes");
        Assert.Contains(new string('z', 3000), Encoding.ASCII.GetString(payload), StringComparison.Ordinal);
        Assert.Equal(blob, (byte[])CallCodec.ReadValue(payload, payload.Length, typeof(byte[]))!);
    }

    /// <summary>
    /// A pooled file chunk (rented for sending) ends its item's frame as it is, not copied in; the
    /// bytes on the wire are the same, and the chunk goes back to the pool only when the frame is done.
    /// A caller's own array is still copied: the caller may change it once the send returns.
    /// </summary>
    [Fact]
    public void A_pooled_chunk_ends_its_frame_uncopied_and_returns_when_the_frame_is_done()
    {
        byte[] chunk = ChunkPool.RentForSend(256 * 1024);
        new Random(7).NextBytes(chunk);
        byte[] copy = [.. chunk];
        FrameBuilder frame = CallCodec.EncodeItem(chunk);
        Assert.True(frame.Holds(chunk));
        Assert.True(ChunkPool.IsSentOnce(chunk));
        byte[] payload = [.. frame.Written.Span[MessageHeader.Size..], .. frame.Tail.Span];
        Assert.Equal(payload.Length, frame.PayloadLength);
        Assert.Equal(copy, (byte[])CallCodec.ReadValue(payload, payload.Length, typeof(byte[]))!);
        frame.Dispose();
        Assert.False(ChunkPool.IsSentOnce(chunk));

        byte[] own = new byte[256 * 1024];
        using FrameBuilder copied = CallCodec.EncodeItem(own);
        Assert.False(copied.Holds(own));
        Assert.True(copied.Tail.IsEmpty);
        Assert.True(copied.PayloadLength > own.Length);
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    [InlineData(-0.5)]
    public void NamedFloatingPointValuesRoundTrip(double value)
    {
        Assert.Equal(value, RoundTrip<double>(value));
        Assert.Equal(value, RoundTrip<double?>(value));
    }

    [Fact]
    public void ScalarsAndNullsRoundTrip()
    {
        Assert.Equal(long.MinValue, RoundTrip(long.MinValue));
        Assert.Equal(ulong.MaxValue, RoundTrip(ulong.MaxValue));
        Assert.Equal(79228162514264337593543950335m, RoundTrip(decimal.MaxValue));
        Assert.Equal("tab\t\"quote\" ünïcødé", RoundTrip("tab\t\"quote\" ünïcødé"));
        Assert.Null(RoundTrip<string?>(null));
        Assert.Null(RoundTrip<int?>(null));
        Assert.Equal(new DateTime(2026, 11, 25, 1, 2, 3, DateTimeKind.Utc), RoundTrip(new DateTime(2026, 11, 25, 1, 2, 3, DateTimeKind.Utc)));
        Assert.Equal(Color.Green, RoundTrip(Color.Green));
        Assert.Equal(TimeSpan.FromMilliseconds(1234), RoundTrip(TimeSpan.FromMilliseconds(1234)));
        Assert.Equal((1, "two"), RoundTrip((1, "two")));
        Assert.Equal([1, 2, 3], RoundTrip<IReadOnlyList<int>>([1, 2, 3]));
    }

    [Fact]
    public void ScalarsUseTheSerializersOwnFormat()
    {
        foreach ((object value, Type type) in new (object, Type)[]
        {
            (42, typeof(int)), ("x\"y", typeof(string)), (true, typeof(bool)), (Guid.NewGuid(), typeof(Guid)), (1.5, typeof(double)),
            (double.NaN, typeof(double)), (DateTimeOffset.UnixEpoch, typeof(DateTimeOffset)), (12.5m, typeof(decimal)),
        })
        {
            using var frame = new FrameBuilder();
            CallCodec.WriteValue(frame, value, type);
            byte[] payload = frame.Written.Span[MessageHeader.Size..].ToArray();
            string json = Encoding.UTF8.GetString(payload, 4, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(payload));
            Assert.Equal(System.Text.Json.JsonSerializer.Serialize(value, type, WireJson.Options), json);
        }
    }

    [Fact]
    public void NestedPlainClassesRoundTrip()
    {
        var box = new PlainBox { Label = "root", Children = [new PlainBox { Label = "a" }, new PlainBox { Label = "b", Children = [new PlainBox()] }] };
        PlainBox back = RoundTrip(box);
        Assert.Equal("root", back.Label);
        Assert.Equal(["a", "b"], back.Children.Select(c => c.Label));
        Assert.Null(back.Children[1].Children[0].Label);
    }

    [Fact]
    public void ATruncatedPayloadIsAProtocolViolation()
    {
        Expression<Func<int>> call = () => Samples.Add(1, 2);
        (MethodPlan plan, object?[] arguments) = CallCapture.Capture(call);
        using var frame = new FrameBuilder();
        CallCodec.WriteCall(frame, plan, arguments);
        byte[] payload = frame.Written.Span[MessageHeader.Size..].ToArray();
        ProtocolViolationException error = Assert.Throws<ProtocolViolationException>(() => CallCodec.ReadCall(payload, payload.Length - 6));
        Assert.Contains("payload ends early", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RemoteErrorsKeepTypeMessageStackAndInnerExceptions()
    {
        Exception thrown;
        try
        {
            throw new InvalidOperationException("outer", new AggregateException(new IOException("disk"), new TimeoutException("slow")));
        }
        catch (Exception ex)
        {
            thrown = ex;
        }

        using var frame = new FrameBuilder();
        CallCodec.WriteError(frame, RemoteErrorInfo.From(thrown, "web1"));
        byte[] payload = frame.Written.Span[MessageHeader.Size..].ToArray();
        RemoteException remote = CallCodec.ReadError(payload, payload.Length).ToException();
        Assert.Equal("System.InvalidOperationException", remote.RemoteType);
        Assert.Equal("outer", remote.Message);
        Assert.Equal("web1", remote.ContextName);
        Assert.Contains(nameof(RemoteErrorsKeepTypeMessageStackAndInnerExceptions), remote.RemoteStackTrace, StringComparison.Ordinal);
        var aggregate = Assert.IsType<RemoteException>(remote.InnerException);
        Assert.Equal("System.AggregateException", aggregate.RemoteType);
        Assert.Equal("System.IO.IOException", ((RemoteException)aggregate.InnerException!).RemoteType);
        Assert.Equal("System.TimeoutException", Assert.Single(aggregate.OtherInnerExceptions).RemoteType);
        Assert.Contains("web1", remote.ToString(), StringComparison.Ordinal);
    }

    internal static Inventory Sample() => new(
        "web1",
        [new Point(1, 2), new Point(-3, 4)],
        new Dictionary<string, int[]> { ["a"] = [1, 2], ["b"] = [] },
        [0, 1, 2, 255, 0],
        Color.Green,
        new DateTimeOffset(2026, 11, 25, 10, 0, 0, TimeSpan.FromHours(2)),
        TimeSpan.FromSeconds(1.5),
        Guid.NewGuid(),
        null);

    private static void AssertSame(Inventory expected, Inventory actual)
    {
        Assert.Equal(expected.Host, actual.Host);
        Assert.Equal(expected.Points, actual.Points);
        Assert.Equal(expected.Counts.Keys, actual.Counts.Keys);
        Assert.Equal(expected.Counts["a"], actual.Counts["a"]);
        Assert.Equal(expected.Blob, actual.Blob);
        Assert.Equal(expected.Color, actual.Color);
        Assert.Equal(expected.When, actual.When);
        Assert.Equal(expected.Took, actual.Took);
        Assert.Equal(expected.Id, actual.Id);
        Assert.Equal(expected.Ratio, actual.Ratio);
    }

    private static T RoundTrip<T>(T value)
    {
        using var frame = new FrameBuilder();
        CallCodec.WriteValue(frame, value, typeof(T));
        byte[] payload = frame.Written.Span[MessageHeader.Size..].ToArray();
        return (T)CallCodec.ReadValue(payload, payload.Length, typeof(T))!;
    }
}
