using Econtext.Bootstrap;
using Econtext.Calls;
using Econtext.Files;
using Econtext.Forwarding;
using Econtext.Routing;
using Econtext.Streams;
using Econtext.Wire;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit.Abstractions;

namespace Econtext.FuzzTests;

/// <summary>
/// Each payload parser, fed mutated real payloads: it returns a value or throws
/// <see cref="ProtocolViolationException"/>, nothing else (see <see cref="ParserProperty"/>).
/// </summary>
public class PayloadFuzzTests(ITestOutputHelper output)
{
    [Fact(Timeout = FuzzBudget.TestTimeoutMilliseconds)]
    public Task FrameHeader()
    {
        byte[] header = new byte[MessageHeader.Size];
        new MessageHeader(3, 0, 0, Handles.Call, 1000, MessageFlags.More, 1234).Write(header);
        return ParserProperty.HoldsAsync(nameof(FrameHeader), [header], input =>
        {
            // The receive loop hands TryRead exactly the header's 28 bytes.
            byte[] exact = new byte[MessageHeader.Size];
            input.AsSpan(0, Math.Min(input.Length, exact.Length)).CopyTo(exact);
            if (MessageHeader.TryRead(exact, 1 << 20, out MessageHeader parsed, out string? error))
            {
                Assert.InRange(parsed.Length, 0, 1 << 20);
            }
            else
            {
                Assert.False(string.IsNullOrWhiteSpace(error));
            }
        }, output);
    }

    [Fact(Timeout = FuzzBudget.TestTimeoutMilliseconds)]
    public Task CallPayload()
    {
        List<(MethodPlan Plan, byte[] Payload)> calls = Seeds.Calls();
        Type[] parameterTypes = calls.SelectMany(c => c.Plan.ParameterTypes).Distinct().ToArray();
        return ParserProperty.HoldsAsync(nameof(CallPayload), calls.Select(c => c.Payload).ToList(), input =>
        {
            CallRequest request = CallCodec.ReadCall(input, input.Length);
            foreach ((int offset, int length) in request.Arguments.Take(4))
            {
                foreach (Type type in parameterTypes)
                {
                    ReturnsOrViolates(() => CallCodec.Deserialize(input, offset, length, type, request.Attachments));
                }
            }
        }, output, FuzzBudget.BoundedIterations / 2);
    }

    [Fact(Timeout = FuzzBudget.TestTimeoutMilliseconds)]
    public Task ReplyValue() =>
        ParserProperty.HoldsAsync(nameof(ReplyValue), Seeds.ValuePayloads(), input =>
        {
            foreach (Type type in Seeds.ValueTypes)
            {
                ReturnsOrViolates(() => CallCodec.ReadValue(input, input.Length, type));
            }
        }, output, FuzzBudget.BoundedIterations / 2);

    [Fact(Timeout = FuzzBudget.TestTimeoutMilliseconds)]
    public Task ErrorReply() =>
        ParserProperty.HoldsAsync(nameof(ErrorReply), Seeds.Errors(), input => CallCodec.ReadError(input, input.Length).ToException(), output);

    [Fact(Timeout = FuzzBudget.TestTimeoutMilliseconds)]
    public Task LogRecord() =>
        ParserProperty.HoldsAsync(nameof(LogRecord), Seeds.LogRecords(), input => LogRecordCodec.Read(input), output);

    [Fact(Timeout = FuzzBudget.TestTimeoutMilliseconds)]
    public async Task Credit()
    {
        // A window with room and one used up, as CREDIT from context 4 would find them.
        await using var router = new Router();
        using ItemSender open = router.Credits.Open(StreamKind.Arguments, 4, 1000);
        using ItemSender usedUp = router.Credits.Open(StreamKind.Arguments, 4, 1001);
        for (int i = 0; i < CreditWindow.Size; i++)
        {
            await usedUp.WaitForCreditAsync(CancellationToken.None);
        }

        await ParserProperty.HoldsAsync(nameof(Credit), Seeds.Credits(), input => router.Credits.Grant(StreamKind.Arguments, MessageFrom(4, Handles.Credit, MessageFlags.None, input)), output);
    }

    [Fact(Timeout = FuzzBudget.TestTimeoutMilliseconds)]
    public Task ControlPayloads()
    {
        List<byte[]> seeds = [.. Seeds.LoadAssemblies(), .. Seeds.AddRoutes(), .. Seeds.DelRoutes(), .. Seeds.FileGets(), .. Seeds.Int32s(1000, 4242)];
        return ParserProperty.HoldsAsync(nameof(ControlPayloads), seeds, input =>
        {
            ReturnsOrViolates(() => Wire.ControlPayloads.ReadLoadAssembly(input));
            ReturnsOrViolates(() => Wire.ControlPayloads.ReadAddRoute(input));
            ReturnsOrViolates(() => Wire.ControlPayloads.ReadDelRoute(input));
            ReturnsOrViolates(() => Wire.ControlPayloads.ReadFileGet(input));
            ReturnsOrViolates(() => Wire.ControlPayloads.ReadInt32(input));
        }, output);
    }

    [Fact(Timeout = FuzzBudget.TestTimeoutMilliseconds)]
    public Task FileFacts() =>
        ParserProperty.HoldsAsync(nameof(FileFacts), Seeds.FileFacts(), input =>
        {
            // The last reply of a FILE_GET: the file's length, mode and time.
            var pending = new PendingFile("/srv/shared/a.txt", _ => { });
            pending.Complete(MessageFrom(0, 1000, MessageFlags.None, input));
        }, output);

    [Fact(Timeout = FuzzBudget.TestTimeoutMilliseconds)]
    public Task Stdio()
    {
        var remote = new RemoteOutput(NullLoggerFactory.Instance);
        int context = 0;
        return ParserProperty.HoldsAsync(nameof(Stdio), Seeds.Stdio(), input =>
        {
            // A context of its own now and then, so partial lines are flushed as when contexts end.
            int id = Interlocked.Increment(ref context) % 64;
            remote.OnStdio(id, "fuzz", input);
            if (id == 0)
            {
                remote.Flush(id, "fuzz");
            }
        }, output);
    }

    [Fact(Timeout = FuzzBudget.TestTimeoutMilliseconds)]
    public Task ChildConfiguration() =>
        ParserProperty.HoldsAsync(nameof(ChildConfiguration), Seeds.ChildConfigs(), input => ChildConfig.Read(input), output);

    internal static Message MessageFrom(int src, int handle, MessageFlags flags, byte[] payload) =>
        new(new MessageHeader(0, src, src, handle, Handles.None, flags, payload.Length), payload, pooled: false);

    /// <summary>Inside a target: a second parse of the same input, under the same property.</summary>
    private static void ReturnsOrViolates(Action parse)
    {
        try
        {
            parse();
        }
        catch (ProtocolViolationException)
        {
        }
    }
}
