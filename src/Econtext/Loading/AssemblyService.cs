using System.Runtime.CompilerServices;
using System.Text;
using Econtext.Routing;
using Econtext.Wire;
using Microsoft.Extensions.Logging;

namespace Econtext.Loading;

/// <summary>
/// Answers GET_ASSEMBLY from the contexts below this one without letting any of them make this
/// process hold more than a bounded amount for it. A context asks at will and may never read the
/// answers (issue 17: a hundred requests for a 1 MB image grew the master by 90 MB). So, per stream
/// the requests arrive on:
/// <list type="bullet">
/// <item>at most <see cref="MaxWaiting"/> requests are accepted and not yet answered; more are
/// refused (counted in <see cref="RouterStatistics.MessagesDropped"/> and logged);</item>
/// <item>answers are queued one at a time, and only while fewer than <see cref="ContextStream.AnswerQueueLimit"/>
/// wait in that stream's send queue; the others wait, holding nothing but the name and a reference
/// to an image that is cached anyway.</item>
/// </list>
/// So one stream costs at most <see cref="ContextStream.AnswerQueueLimit"/> plus one image. A context that reads
/// gets every answer: the queue drains as it reads, and an honest one has far fewer requests in
/// flight than the limit (one per thread that is loading an assembly).
/// </summary>
internal sealed class AssemblyService(Router router, Func<string, (byte[]? Image, string? Refusal)> lookUp, ILogger log)
{
    /// <summary>
    /// Requests one stream may have waiting. A context asks from each thread that loads an assembly
    /// and waits for the answer, so an honest one has a handful at a time; an intermediate asks once
    /// per assembly for its whole subtree.
    /// </summary>
    public const int MaxWaiting = 32;

    private readonly ConditionalWeakTable<ContextStream, Lane> _lanes = [];

    /// <summary>On the receive loop of <paramref name="from"/>: a GET_ASSEMBLY (payload: the simple name).</summary>
    public void Accept(ContextStream from, Message request)
    {
        MessageHeader header = request.Header;
        router.Statistics.CountRequest();
        Lane lane = _lanes.GetValue(from, static stream => new Lane(stream));
        if (request.Span.Length > 1024)
        {
            Refuse(from, lane, header, "an assembly name of more than 1024 bytes");
            return;
        }

        if (Interlocked.Increment(ref lane.Waiting) > MaxWaiting)
        {
            Interlocked.Decrement(ref lane.Waiting);
            Refuse(from, lane, header, $"{MaxWaiting} assembly requests from {from.Name} are still waiting for an answer");
            return;
        }

        string name = Encoding.UTF8.GetString(request.Span);
        ThreadPool.UnsafeQueueUserWorkItem(static s => _ = s.Service.ServeAsync(s.From, s.Lane, s.Header, s.Name), (Service: this, From: from, Lane: lane, Header: header, Name: name), preferLocal: false);
    }

    private async Task ServeAsync(ContextStream from, Lane lane, MessageHeader header, string name)
    {
        try
        {
            byte[]? image;
            string? refusal;
            try
            {
                // In an intermediate this may wait for the parent; the image is cached afterwards.
                (image, refusal) = lookUp(name);
            }
            catch (Exception ex)
            {
                (image, refusal) = (null, $"{name} could not be read on {router.Name}: {ex.Message}");
            }

            if (image is { Length: int size } && size + 1024 > router.Options.MaxMessageSize)
            {
                (image, refusal) = (null, $"{name} ({size} bytes) is larger than the maximum message size ({router.Options.MaxMessageSize} bytes)");
            }

            Interlocked.Increment(ref lane.Parked);
            bool open = await lane.Turn.TakeAsync(CancellationToken.None).ConfigureAwait(false);
            Interlocked.Decrement(ref lane.Parked);
            if (!open)
            {
                return;
            }

            try
            {
                // Counted before the send, which may wait on the pipe (this thread may drain the
                // queue, and a peer that does not read keeps it there, holding the turn).
                Interlocked.Increment(ref lane.Answered);
                var frame = new FrameBuilder((image?.Length ?? 256) + 64);
                frame.WriteBytes(image ?? Encoding.UTF8.GetBytes(refusal ?? $"{name} is not available from {router.Name}"));
                router.Outbox.TrySend(header.Src, header.ReplyTo, Handles.None, image is null ? MessageFlags.Error : MessageFlags.None, frame);
            }
            finally
            {
                lane.Turn.Release();
            }
        }
        finally
        {
            Interlocked.Decrement(ref lane.Waiting);
        }
    }

    private void Refuse(ContextStream from, Lane lane, MessageHeader header, string why)
    {
        router.Statistics.CountDropped();
        long refused = Interlocked.Increment(ref lane.Refused);
        if (refused <= 10 || refused % 1000 == 0)
        {
            log.LogWarning("refused GET_ASSEMBLY from {Stream} ({Refused} so far): {Why}", from.Name, refused, why);
        }

        // A context that does not read would pile refusals up too: it gets one only while its
        // queue has room.
        if (from.HasRoomForAnswers)
        {
            var frame = new FrameBuilder(why.Length + 64);
            frame.WriteBytes(Encoding.UTF8.GetBytes($"refused by {router.Name}: {why}"));
            router.Outbox.TrySend(header.Src, header.ReplyTo, Handles.None, MessageFlags.Error, frame);
        }
    }

    /// <summary>One stream's requests.</summary>
    private sealed class Lane(ContextStream stream)
    {
        public readonly SendTurn Turn = new(stream);
        public int Waiting;
        public int Parked;
        public long Answered;
        public long Refused;
    }
}
