using System.Buffers;
using System.Numerics;

namespace Econtext.Wire;

/// <summary>
/// Where the wire path borrows its frame buffers. Small ones come from the shared array pool as
/// before; large ones (a file chunk's frame, 256 KiB and up) come from a pool of our own, because
/// the shared pool cannot be emptied: it keeps what it was given per core and per thread and gives
/// it back only after a minute and many full collections, so a child that moved a file held ~8 MiB
/// of 512 KiB frame buffers for good. <see cref="Trim"/> swaps in an empty pool; what the old one
/// held becomes garbage for the next collection, and arrays still lent out go back to the new one
/// (same bucket sizes), so nothing in flight is disturbed.
/// </summary>
internal static class LargeBuffers
{
    /// <summary>Arrays at least this long come from the trimmable pool.</summary>
    public const int Threshold = 64 * 1024;

    // Up to 16 MiB arrays; larger ones are allocated and dropped (a message that size is rare).
    // 32 per size covers a file stream's credit window of 16 chunks both ways.
    private const int MaxLength = 16 * 1024 * 1024;
    private const int PerSize = 32;

    private static ArrayPool<byte> s_pool = ArrayPool<byte>.Create(MaxLength, PerSize);
    private static int s_rentedSinceTrim;

    /// <summary>An array of at least <paramref name="minimumLength"/> bytes, contents undefined.</summary>
    public static byte[] Rent(int minimumLength)
    {
        if (minimumLength < Threshold)
        {
            return ArrayPool<byte>.Shared.Rent(minimumLength);
        }

        Volatile.Write(ref s_rentedSinceTrim, 1);
        return Volatile.Read(ref s_pool).Rent(minimumLength);
    }

    /// <summary>Gives back an array from <see cref="Rent"/>.</summary>
    public static void Return(byte[] array)
    {
        if (array.Length < Threshold)
        {
            ArrayPool<byte>.Shared.Return(array);
        }
        else if (array.Length <= MaxLength && BitOperations.IsPow2(array.Length))
        {
            Volatile.Read(ref s_pool).Return(array);
        }
    }

    /// <summary>Drops every array the pool keeps; cheap (nothing happens) when none was lent since the last trim.</summary>
    public static void Trim()
    {
        if (Interlocked.Exchange(ref s_rentedSinceTrim, 0) != 0)
        {
            Volatile.Write(ref s_pool, ArrayPool<byte>.Create(MaxLength, PerSize));
        }
    }
}
