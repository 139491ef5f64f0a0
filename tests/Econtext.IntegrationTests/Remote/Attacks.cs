using System.Collections.Concurrent;
using System.Linq.Expressions;
using System.Reflection;
using System.Text;
using Econtext.Calls;
using Econtext.Loading;
using Econtext.Routing;
using Econtext.Wire;

namespace Econtext.IntegrationTests.Remote;

/// <summary>
/// One hand-made frame a compromised context writes to its parent (or, when dst is below it, to the
/// child on the way). Every header field is the
/// attacker's choice. When <see cref="AnswerFrom"/> is 0 or more, the attacker asks for an answer
/// (a fresh reply handle of its own) and waits for one coming from that context id: a refusal is a
/// DEAD reply from the router that dropped the frame, an assembly comes from the parent.
/// </summary>
public sealed record ForgedFrame(int Dst, int Src, int Auth, int Handle, int Flags, byte[] Payload, int AnswerFrom = -1, int ReplyTo = 0);

/// <summary>What came back for one <see cref="ForgedFrame"/> (payload cut to its first bytes).</summary>
public sealed record ForgedAnswer(bool Arrived, int Flags, int Length, byte[] Head, string Text);

/// <summary>
/// Runs in a context that plays a compromised child: it reaches its own router's internals (the
/// parent stream, the reply table) and writes frames the library itself would never write. Also the
/// payload of forged calls (<see cref="Pwn"/>) and the probes the tests read the damage with.
/// </summary>
public static class Attacks
{
    private const BindingFlags Private = BindingFlags.NonPublic | BindingFlags.Instance;
    private static readonly ConcurrentDictionary<string, int> s_ran = new(StringComparer.Ordinal);

    /// <summary>
    /// What a forged CALL tries to run: it leaves a file at <paramref name="path"/> and a mark in
    /// this process. Neither may ever appear where the forged call was refused.
    /// </summary>
    public static void Pwn(string path)
    {
        s_ran[path] = Environment.ProcessId;
        File.WriteAllText(path, $"{CurrentContext.Name} pid {Environment.ProcessId} ran a forged call");
    }

    /// <summary>True if <see cref="Pwn"/> ran in this process for <paramref name="path"/>.</summary>
    public static bool RanHere(string path) => s_ran.ContainsKey(path);

    /// <summary>
    /// Whether <see cref="Pwn"/> ran here for <paramref name="path"/>, asked once every call this
    /// context accepted before this one has ended. A call that reaches this context after forged
    /// frames on the same stream proves the receive loop handled them all; a forged call it accepted
    /// would be counted in flight from then until it has run, so an empty count (bar this call) means
    /// it either ran, and left its mark, or never was accepted. No wait for a fixed time.
    /// <paramref name="stillRunning"/> honest calls the test knows to be running are not waited for.
    /// </summary>
    public static async Task<bool> RanHereOnceEarlierCallsEnded(string path, int stillRunning, int timeoutMs)
    {
        var dispatcher = (Dispatcher)typeof(Econtext.Bootstrap.ChildHost).GetField("_dispatcher", Private)!.GetValue(Router().Child)!;
        var inFlight = (CallsInFlight)typeof(Dispatcher).GetField("_inFlight", Private)!.GetValue(dispatcher)!;
        long deadline = Environment.TickCount64 + timeoutMs;
        while (inFlight.Count > 1 + stillRunning)
        {
            if (Environment.TickCount64 > deadline)
            {
                throw new TimeoutException($"{inFlight.Count - 1 - stillRunning} earlier calls still run after {timeoutMs} ms");
            }

            await Task.Delay(5);
        }

        return RanHere(path);
    }

    /// <summary>This context's <see cref="RouterStatistics.MessagesDropped"/>.</summary>
    public static long DroppedHere() => Router().Statistics.MessagesDropped;

    /// <summary>This context's <see cref="RouterStatistics.AssemblyRequests"/> (GET_ASSEMBLY it handled).</summary>
    public static long AssemblyRequestsHere() => Router().Statistics.AssemblyRequests;

    /// <summary>Whether this context holds an image named <paramref name="name"/> (pushed, fetched or smuggled in).</summary>
    public static bool HoldsImage(string name)
    {
        var resolver = (ChildAssemblyResolver?)typeof(AssemblyPusher).GetField("_resolver", Private)!.GetValue(Router().Assemblies);
        return resolver?.GetImage(name) is not null || AppDomain.CurrentDomain.GetAssemblies().Any(a => a.GetName().Name == name);
    }

    /// <summary>
    /// Writes each frame, in order, through the send queue of the stream that leads to its dst (the
    /// parent's, unless dst is one of this context's own descendants), then
    /// waits (at most <paramref name="answerTimeoutMs"/> in all) for the answers that were asked for.
    /// Anything sent later on the same stream (the reply to this call included) leaves after them.
    /// </summary>
    public static async Task<ForgedAnswer[]> Forge(ForgedFrame[] frames, int answerTimeoutMs)
    {
        Router router = Router();
        ContextStream parent = ParentStream(router);
        var captures = new Capture?[frames.Length];
        var handles = new int[frames.Length];
        try
        {
            for (int i = 0; i < frames.Length; i++)
            {
                ForgedFrame f = frames[i];
                int replyTo = f.ReplyTo;
                if (f.AnswerFrom >= 0)
                {
                    replyTo = router.Replies.Allocate();
                    captures[i] = new Capture(f.AnswerFrom);
                    handles[i] = replyTo;
                    router.Replies.Register(replyTo, captures[i]!);
                }

                var frame = new FrameBuilder(f.Payload.Length);
                frame.WriteBytes(f.Payload);
                frame.Complete(f.Dst, f.Src, f.Auth, f.Handle, replyTo, (MessageFlags)f.Flags);
                (router.Routes.TryGetBelow(f.Dst, out ContextStream? down) ? down : parent).Send(frame);
            }

            Task all = Task.WhenAll(captures.Where(c => c is not null).Select(c => c!.Task));
            try
            {
                await all.WaitAsync(TimeSpan.FromMilliseconds(answerTimeoutMs));
            }
            catch (TimeoutException)
            {
                // Reported per frame as "no answer".
            }

            return [.. captures.Select(c => c is { Task.IsCompletedSuccessfully: true }
                ? c.Task.Result
                : new ForgedAnswer(false, 0, 0, [], string.Empty))];
        }
        finally
        {
            for (int i = 0; i < frames.Length; i++)
            {
                if (captures[i] is not null)
                {
                    router.Replies.TryRemove(handles[i]);
                }
            }
        }
    }

    /// <summary>
    /// Stops reading from the parent at the next frame that arrives (the receive loop waits until a
    /// byte can be read from <paramref name="fifo"/>), then writes <paramref name="frames"/> as
    /// <see cref="Forge"/> does, without waiting for answers: a child that asks and never reads.
    /// </summary>
    public static async Task StopReadingThenForge(string fifo, ForgedFrame[] frames)
    {
        ContextStream parent = ParentStream(Router());
        FieldInfo handler = typeof(ContextStream).GetField("_onMessage", Private)!;
        var inner = (Action<ContextStream, Message>)handler.GetValue(parent)!;
        int stopped = 0;
        handler.SetValue(parent, new Action<ContextStream, Message>((stream, message) =>
        {
            if (Interlocked.Exchange(ref stopped, 1) == 0)
            {
                using FileStream go = File.OpenRead(fifo);
                go.ReadByte();
            }

            inner(stream, message);
        }));
        await Forge(frames, 0);
    }

    /// <summary>
    /// A frame whose length field says <paramref name="announcedLength"/> (over any limit), sent
    /// in order through the parent stream's queue, followed by a few payload bytes.
    /// </summary>
    public static void SendFrameAnnouncing(int announcedLength)
    {
        Router router = Router();
        var frame = new FrameBuilder(16);
        frame.WriteBytes("not the payload"u8);
        frame.Complete(0, router.Id, router.Id, Handles.Stdio, Handles.None, MessageFlags.None);
        frame.PatchInt32(24, announcedLength);
        ParentStream(router).Send(frame);
    }

    /// <summary>Raw bytes straight onto the protocol pipe to the parent, past the framing code.</summary>
    public static void WriteRaw(byte[] bytes)
    {
        ContextStream parent = ParentStream(Router());
        var output = (Stream)typeof(ContextStream).GetField("_output", Private)!.GetValue(parent)!;
        output.Write(bytes);
        output.Flush();
    }

    private static Router Router() =>
        CurrentContext.ChildRouter ?? throw new InvalidOperationException("attacks run inside a context");

    private static ContextStream ParentStream(Router router) =>
        router.Routes.Parent!;

    /// <summary>Waits on a reply handle of the attacker's own, like the library's own waiters do.</summary>
    private sealed class Capture(int from) : TaskCompletionSource<ForgedAnswer>(TaskCreationOptions.RunContinuationsAsynchronously), IPendingReply
    {
        public int TargetId => from;

        public void Complete(Message reply)
        {
            ReadOnlySpan<byte> span = reply.Span;
            byte[] head = span[..Math.Min(span.Length, 512)].ToArray();
            TrySetResult(new ForgedAnswer(true, (int)reply.Header.Flags, span.Length, head, Encoding.UTF8.GetString(head)));
        }

        public void Fail(Exception error) => TrySetException(error);

        public void Cancel(CancellationToken token) => TrySetCanceled(token);
    }
}

/// <summary>Master-side helpers for the attack tests: payloads, and a look at the router's reply table.</summary>
internal static class AttackKit
{
    public const int Call = Handles.Call;
    public const int GetAssembly = Handles.GetAssembly;
    public const int LoadAssembly = Handles.LoadAssembly;
    public const int ForwardLog = Handles.ForwardLog;
    public const int Stdio = Handles.Stdio;
    public const int AddRoute = Handles.AddRoute;
    public const int DelRoute = Handles.DelRoute;
    public const int Shutdown = Handles.Shutdown;
    public const int Cancel = Handles.Cancel;
    public const int Credit = Handles.Credit;
    public const int FileGet = Handles.FileGet;
    public const int FlagMore = (int)MessageFlags.More;
    public const int FlagError = (int)MessageFlags.Error;
    public const int FlagDead = (int)MessageFlags.Dead;

    /// <summary>The exact CALL payload the library would write for <paramref name="call"/>.</summary>
    public static byte[] CallPayload(Expression<Action> call)
    {
        (MethodPlan plan, object?[] arguments) = CallCapture.Capture(call);
        using var frame = new FrameBuilder();
        CallCodec.WriteCall(frame, plan, arguments);
        return frame.Written[MessageHeader.Size..].ToArray();
    }

    /// <summary>A successful reply's payload carrying <paramref name="value"/>.</summary>
    public static byte[] ReplyPayload<T>(T value)
    {
        using var frame = new FrameBuilder();
        CallCodec.WriteValue(frame, value, typeof(T));
        return frame.Written[MessageHeader.Size..].ToArray();
    }

    /// <summary>An ERROR reply's payload, as a context writes for a failed call.</summary>
    public static byte[] ErrorPayload(string message)
    {
        using var frame = new FrameBuilder();
        CallCodec.WriteError(frame, RemoteErrorInfo.From(new InvalidOperationException(message), "forger"));
        return frame.Written[MessageHeader.Size..].ToArray();
    }

    /// <summary>A FORWARD_LOG payload, as a context's logger writes it.</summary>
    public static byte[] LogPayload(string category, string message)
    {
        using var frame = new FrameBuilder();
        Econtext.Forwarding.LogRecordCodec.Write(frame, Microsoft.Extensions.Logging.LogLevel.Warning, 7, category, message, null);
        return frame.Written[MessageHeader.Size..].ToArray();
    }

    /// <summary>A STDIO payload: stream 1 (stdout), then the bytes.</summary>
    public static byte[] StdoutPayload(string text) => [1, .. Encoding.UTF8.GetBytes(text)];

    public static byte[] Int32s(params int[] values)
    {
        byte[] bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(i * 4), values[i]);
        }

        return bytes;
    }

    /// <summary>DEL_ROUTE's payload: the id that is gone, then a reason.</summary>
    public static byte[] DelRoutePayload(int id, string reason) => [.. Int32s(id), .. Encoding.UTF8.GetBytes(reason)];

    /// <summary>LOAD_ASSEMBLY's payload: a short-string name, then the image.</summary>
    public static byte[] LoadAssemblyPayload(string name, byte[] image)
    {
        using var frame = new FrameBuilder();
        frame.WriteShortString(name);
        frame.WriteBytes(image);
        return frame.Written[MessageHeader.Size..].ToArray();
    }

    /// <summary>FILE_GET's payload: a short-string path, then the chunk size asked for.</summary>
    public static byte[] FileGetPayload(string path, int chunkSize)
    {
        using var frame = new FrameBuilder();
        frame.WriteShortString(path);
        frame.WriteInt32(chunkSize);
        return frame.Written[MessageHeader.Size..].ToArray();
    }

    /// <summary>The router's GET_ASSEMBLY service, once it has served one; null before.</summary>
    public static AssemblyService? AssemblyServiceForTests(this Router router) => RouterInternals.AssemblyService(router);

    /// <summary>The reply handles the router is waiting on for calls that went to <paramref name="targetId"/>.</summary>
    public static int[] PendingHandlesFor(Router router, int targetId) => RouterInternals.PendingHandlesFor(router, targetId);

    /// <summary>How many ChannelReader arguments the router is sending (each holds a credit window).</summary>
    public static int OutboundCreditCount(Router router) => RouterInternals.CreditWindows(router, Econtext.Streams.StreamKind.Arguments).Count;
}
