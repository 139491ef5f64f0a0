using System.Reflection;
using System.Runtime.CompilerServices;
using Econtext.Files;
using Econtext.Loading;
using Econtext.Routing;
using Econtext.Streams;
using Econtext.Transports;

namespace Econtext.IntegrationTests.Infrastructure;

/// <summary>
/// What a test reads of a router's private state, by reflection here rather than through members
/// of the library that only tests would use.
/// </summary>
internal static class RouterInternals
{
    private const BindingFlags Private = BindingFlags.NonPublic | BindingFlags.Instance;

    /// <summary>Transport processes the router has not reaped yet.</summary>
    public static int TransportCount(this Router router) =>
        ((LockedMap<TransportProcess>)typeof(Router).GetField("_transports", Private)!.GetValue(router)!).Count;

    /// <summary>
    /// The GET_ASSEMBLY lane of <paramref name="stream"/>: requests not yet done, those of them parked
    /// until the stream's queue drains, and answers handed to the stream (zeros before the first request).
    /// </summary>
    public static (int Waiting, int Parked, long Answered) AssemblyLane(this Router router, ContextStream stream)
    {
        if (AssemblyService(router) is not { } service)
        {
            return (0, 0, 0);
        }

        object lanes = typeof(AssemblyService).GetField("_lanes", Private)!.GetValue(service)!;
        object?[] found = [stream, null];
        if (!(bool)lanes.GetType().GetMethod("TryGetValue")!.Invoke(lanes, found)! || found[1] is not { } lane)
        {
            return (0, 0, 0);
        }

        object Field(string name) => lane.GetType().GetField(name)!.GetValue(lane)!;
        return ((int)Field("Waiting"), (int)Field("Parked"), (long)Field("Answered"));
    }

    /// <summary>
    /// The master's FILE_GET lane of <paramref name="stream"/> (<see cref="FileRequestLane"/>): requests
    /// taken in and not done, and those of them that wait (for a slot, credit or room in the queue, or
    /// holding the turn while the pipe is full); zeros before the first request.
    /// </summary>
    public static (int Running, int Waiting) FileLane(this Router router, ContextStream stream)
    {
        var files = (FileServer)typeof(Router).GetField("_files", Private)!.GetValue(router)!;
        var lanes = (ConditionalWeakTable<ContextStream, FileRequestLane>)typeof(FileServer).GetField("_lanes", Private)!.GetValue(files)!;
        if (!lanes.TryGetValue(stream, out FileRequestLane? lane))
        {
            return (0, 0);
        }

        int Field(string name) => (int)typeof(FileRequestLane).GetField(name, Private)!.GetValue(lane)!;
        return (Field("_requests"), Field("_parked") + Field("_turnHeld"));
    }

    /// <summary>The GET_ASSEMBLY service, once a request came; null before.</summary>
    public static AssemblyService? AssemblyService(Router router) =>
        (AssemblyService?)typeof(AssemblyPusher).GetField("_service", Private)!.GetValue(router.Assemblies);

    /// <summary>The credit windows of the item streams of <paramref name="kind"/> the router is sending.</summary>
    public static LockedMap<ItemSender> CreditWindows(this Router router, StreamKind kind) =>
        ((LockedMap<ItemSender>[])typeof(CreditLedger).GetField("_windows", Private)!.GetValue(router.Credits)!)[(int)kind];

    /// <summary>Whether the ChannelReader argument of the call on <paramref name="handle"/> has used its whole credit window (its pump waits for CREDIT).</summary>
    public static bool WaitsForCredit(this Router router, int contextId, int handle) =>
        CreditWindowUsedUp(router, StreamKind.Arguments, contextId, handle);

    /// <summary>Whether the window of the stream of <paramref name="kind"/> that <paramref name="peer"/> receives on <paramref name="handle"/> is used up.</summary>
    public static bool CreditWindowUsedUp(this Router router, StreamKind kind, int peer, int handle) =>
        router.CreditWindows(kind).TryGetValue(MapKey.Of(peer, handle), out ItemSender? sender)
        && ((SemaphoreSlim)typeof(ItemSender).GetField("_window", Private)!.GetValue(sender)!).CurrentCount == 0;

    /// <summary>The reply handles the router waits on for requests that went to <paramref name="targetId"/>, in order.</summary>
    public static int[] PendingHandlesFor(this Router router, int targetId)
    {
        var pending = (LockedMap<IPendingReply>)typeof(PendingReplies).GetField("_pending", Private)!.GetValue(router.Replies)!;
        return [.. pending.SnapshotKeys().Where(k => pending.TryGetValue(k, out IPendingReply? p) && p.TargetId == targetId).Select(k => (int)k).Order()];
    }
}
