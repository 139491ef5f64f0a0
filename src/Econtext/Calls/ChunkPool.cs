using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Econtext.Routing;

namespace Econtext.Calls;

/// <summary>
/// Reuses the large byte arrays a file copy moves (256 KiB each by default), which would otherwise
/// be large-object-heap garbage at the link's speed: each one a fresh allocation, page faults, and
/// a gen-2 collection every few megabytes. An array returns to the pool only from the one place
/// that knows it is done with it, and only if it was marked for that place when rented:
/// <see cref="RentForSend"/> arrays go back once a sender has serialized them into a frame (our
/// own file readers never touch them after handing them over); <see cref="RentReceived"/> arrays
/// (a received <c>byte[]</c> value) go back only when our own file writers call
/// <see cref="ReturnConsumed"/>. User code may hold either kind forever: it is then simply garbage.
/// </summary>
internal static class ChunkPool
{
    /// <summary>Smaller arrays are not worth the bookkeeping.</summary>
    public const int MinimumLength = 64 * 1024;

    private const int KeptPerLength = 48;
    private static readonly LockedMap<ConcurrentBag<byte[]>> s_free = new();
    private static readonly ConditionalWeakTable<byte[], object> s_sendOnce = new();
    private static readonly ConditionalWeakTable<byte[], object> s_consumeOnce = new();
    private static readonly object s_mark = new();

    /// <summary>An array (contents undefined) that the sender returns after serializing it.</summary>
    public static byte[] RentForSend(int length)
    {
        byte[] array = Take(length);
        if (length >= MinimumLength)
        {
            s_sendOnce.AddOrUpdate(array, s_mark);
        }

        return array;
    }

    /// <summary>An array for a received byte[] value, which our own file writers return once written.</summary>
    public static byte[] RentReceived(int length)
    {
        byte[] array = Take(length);
        if (length >= MinimumLength)
        {
            s_consumeOnce.AddOrUpdate(array, s_mark);
        }

        return array;
    }

    /// <summary>Whether <paramref name="array"/> was rented by <see cref="RentForSend"/> and not yet returned: its owner will not touch it again, so a frame may send it as it is.</summary>
    public static bool IsSentOnce(byte[] array) => array.Length >= MinimumLength && s_sendOnce.TryGetValue(array, out _);

    /// <summary>Called by a sender once <paramref name="item"/> is in a frame (or, for a frame's tail, written).</summary>
    public static void ReturnSent(object? item)
    {
        if (item is byte[] array && s_sendOnce.Remove(array))
        {
            Give(array);
        }
    }

    /// <summary>Called by our file writers once a received chunk is on disk.</summary>
    public static void ReturnConsumed(byte[] array)
    {
        if (s_consumeOnce.Remove(array))
        {
            Give(array);
        }
    }

    /// <summary>The array will be shared (relayed to several children): nobody may return it.</summary>
    public static void Keep(byte[] array) => s_consumeOnce.Remove(array);

    /// <summary>
    /// Drops the free arrays (a context gone idle gives its memory back); arrays lent out still
    /// come back to the pool when their holders are done.
    /// </summary>
    public static void Trim()
    {
        foreach (ConcurrentBag<byte[]> bag in s_free.SnapshotValues())
        {
            // Emptied in place rather than removed: a bag keeps per-thread lists that would hold
            // their arrays until the bag's own finalizer ran.
            bag.Clear();
        }
    }

    private static byte[] Take(int length) =>
        length >= MinimumLength && s_free.TryGetValue(length, out ConcurrentBag<byte[]>? bag) && bag.TryTake(out byte[]? array)
            ? array
            : GC.AllocateUninitializedArray<byte>(length);

    private static void Give(byte[] array)
    {
        ConcurrentBag<byte[]> bag = s_free.GetOrAdd(array.Length, static _ => []);
        if (bag.Count < KeptPerLength)
        {
            bag.Add(array);
        }
    }
}
