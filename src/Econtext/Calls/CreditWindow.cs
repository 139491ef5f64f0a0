using Econtext.Routing;
using Econtext.Wire;

namespace Econtext.Calls;

/// <summary>
/// The credit window every stream of items runs under (streamed results, channel parameters): the
/// sender holds a semaphore of <see cref="Size"/> permits per stream; CREDIT messages give them back.
/// </summary>
internal static class CreditWindow
{
    public const int Size = 16;

    /// <summary>The receiver returns credit after consuming this many items.</summary>
    public const int ReturnEvery = Size / 2;

    public static SemaphoreSlim Create() => new(Size, Size);

    /// <summary>CREDIT payload: the stream's call handle, then how many items were taken.</summary>
    public static FrameBuilder Frame(int handle, int count)
    {
        var frame = new FrameBuilder(8);
        frame.WriteInt32(handle);
        frame.WriteInt32(count);
        return frame;
    }

    /// <summary>Applies a CREDIT to the sender's stream it names, if that stream is the sender's own.</summary>
    public static void Grant(LockedMap<SemaphoreSlim> streams, Message message)
    {
        var reader = new PayloadReader(message.Span);
        int handle = reader.ReadInt32();
        int count = reader.ReadInt32();
        if (count > 0 && count <= Size && streams.TryGetValue(MapKey.Of(message.Header.Src, handle), out SemaphoreSlim? credits))
        {
            try
            {
                credits.Release(count);
            }
            catch (Exception ex) when (ex is SemaphoreFullException or ObjectDisposedException)
            {
                // More than the window (a confused peer) or a stream that just ended: nothing to give.
            }
        }
    }
}
