using System.Linq.Expressions;
using Econtext.Bootstrap;
using Econtext.Calls;
using Econtext.Forwarding;
using Econtext.Wire;
using Microsoft.Extensions.Logging;

namespace Econtext.FuzzTests;

/// <summary>Real payloads, made with the real writers: the corpus the mutator starts from.</summary>
internal static class Seeds
{
    public static readonly Bag SampleBag = new(
        "web-01",
        [new Point(1, 2), new Point(-3, int.MaxValue)],
        new Dictionary<string, int[]> { ["a"] = [1, 2, 3], ["é"] = [] },
        [1, 2, 3, 255],
        DayOfWeek.Friday,
        new DateTimeOffset(2024, 5, 6, 7, 8, 9, TimeSpan.FromHours(2)),
        TimeSpan.FromMilliseconds(1234),
        Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e"),
        0.25);

    /// <summary>Declared types a reply or argument is read as, each with a value to seed it.</summary>
    public static readonly (Type Type, object? Value)[] Values =
    [
        (typeof(int), 42), (typeof(int), -1), (typeof(long), long.MinValue), (typeof(string), "héllo \"wörld\"\n"),
        (typeof(string), null), (typeof(double), 3.5), (typeof(double), double.NaN), (typeof(float), float.NegativeInfinity),
        (typeof(decimal), 79228162514264337593543950335m), (typeof(bool), true), (typeof(byte[]), new byte[] { 0, 1, 2 }),
        (typeof(Guid), Guid.Empty), (typeof(DateTime), new DateTime(2020, 1, 2, 3, 4, 5, DateTimeKind.Utc)),
        (typeof(DateTimeOffset), DateTimeOffset.UnixEpoch), (typeof(uint), uint.MaxValue), (typeof(ulong), ulong.MaxValue),
        (typeof(short), short.MinValue), (typeof(ushort), ushort.MaxValue), (typeof(byte), (byte)200), (typeof(sbyte), (sbyte)-5),
        (typeof(int?), null), (typeof(int?), 7), (typeof(Bag), SampleBag), (typeof(List<string>), new List<string> { "a", "b" }),
        (typeof(Dictionary<string, long>), new Dictionary<string, long> { ["x"] = 1 }), (typeof(Point[]), new[] { new Point(0, 0) }),
        (typeof(byte[][]), new[] { new byte[] { 9 }, new byte[] { 8, 7 } }), (typeof(DayOfWeek), DayOfWeek.Monday),
        (typeof(TimeSpan), TimeSpan.MaxValue), (typeof(object), null),
    ];

    public static readonly Type[] ValueTypes = Values.Select(v => v.Type).Distinct().ToArray();

    public static byte[] Payload(FrameBuilder frame)
    {
        byte[] bytes = frame.Written.Span[MessageHeader.Size..].ToArray();
        frame.Dispose();
        return bytes;
    }

    public static List<byte[]> ValuePayloads() =>
        Values.Select(v =>
        {
            var frame = new FrameBuilder();
            CallCodec.WriteValue(frame, v.Value, v.Type);
            return Payload(frame);
        }).ToList();

    public static List<(MethodPlan Plan, byte[] Payload)> Calls()
    {
        LambdaExpression[] calls =
        [
            (Expression<Func<int>>)(() => CallTargets.Add(1, -2)),
            (Expression<Func<Bag>>)(() => CallTargets.Echo(SampleBag)),
            (Expression<Action>)(() => CallTargets.Write("/tmp/x", new byte[] { 1, 2, 3 }, 1L << 40)),
            (Expression<Func<string>>)(() => CallTargets.Mixed(1.5, 2.5f, 3.5m, false, Guid.Empty, DateTime.UnixEpoch, 1, 2, 3, 4, 5, 6, null)),
            (Expression<Func<List<Point>>>)(() => CallTargets.Generic(new[] { new Point(1, 1) })),
        ];
        return calls.Select(call =>
        {
            (MethodPlan plan, object?[] arguments) = CallCapture.Capture(call);
            var frame = new FrameBuilder();
            CallCodec.WriteCall(frame, plan, arguments);
            return (plan, Payload(frame));
        }).ToList();
    }

    public static List<byte[]> Errors()
    {
        Exception nested;
        try
        {
            throw new AggregateException("several", new InvalidOperationException("inner \"one\""), new IOException("two", new UnauthorizedAccessException("three")));
        }
        catch (Exception ex)
        {
            nested = ex;
        }

        return [.. new[] { nested, new ArgumentException("plain") }.Select(e =>
        {
            var frame = new FrameBuilder();
            CallCodec.WriteError(frame, RemoteErrorInfo.From(e, "child-1"));
            return Payload(frame);
        })];
    }

    public static List<byte[]> LogRecords() =>
    [
        Build(f => LogRecordCodec.Write(f, LogLevel.Warning, 7, "Econtext.Child", "a message with ünïcode", null)),
        Build(f => LogRecordCodec.Write(f, LogLevel.Critical, -1, "", new string('x', 300), "System.Exception: boom\n   at X.Y()")),
    ];

    public static List<byte[]> Int32s(params int[] values) => [.. values.Select(v => Build(f => f.WriteInt32(v)))];

    public static List<byte[]> Credits() => [Build(f => { f.WriteInt32(1000); f.WriteInt32(8); }), Build(f => { f.WriteInt32(1001); f.WriteInt32(16); })];

    public static List<byte[]> LoadAssemblies() =>
        [Build(f => { f.WriteShortString("Econtext.TestAssets.Leaf"); f.WriteBytes(new byte[300]); }), Build(f => f.WriteShortString("x"))];

    public static List<byte[]> AddRoutes() => [Build(f => { f.WriteInt32(5); f.WriteInt32(2); })];

    public static List<byte[]> DelRoutes() => [Build(f => { f.WriteInt32(5); f.WriteBytes("the stream closed (EOF)"u8); })];

    public static List<byte[]> FileGets() => [Build(f => { f.WriteShortString("/srv/shared/a.txt"); f.WriteInt32(65536); })];

    public static List<byte[]> FileFacts() =>
        [Build(f => { f.WriteInt32(0); f.WriteInt32(1234); f.WriteInt32(0x1A4); f.WriteInt32(0x08DC_0000); f.WriteInt32(0); })];

    public static List<byte[]> Stdio() => [[1, .. "line one\nline t"u8], [2, .. "wo\r\n"u8], [1]];

    public static List<byte[]> ChildConfigs() =>
        [Build(new ChildConfig(3, 1, "local.ssh:web-01", 64 << 20, 2, [0, 1]).Write), Build(new ChildConfig(1, 0, "", 65536, 0, []).Write)];

    public static byte[] Build(Action<FrameBuilder> write)
    {
        var frame = new FrameBuilder();
        write(frame);
        return Payload(frame);
    }
}
