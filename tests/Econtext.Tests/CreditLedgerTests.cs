using Econtext.Streams;
using Econtext.Wire;

namespace Econtext.Tests;

/// <summary>The item streams' credit: windows of each kind kept apart, closed only by their owner, and returned as items are taken.</summary>
public class CreditLedgerTests
{
    [Fact(Timeout = 10_000)]
    public async Task A_credit_reaches_only_the_window_of_its_own_kind()
    {
        await using var router = new Router();
        using ItemSender argument = router.Credits.Open(StreamKind.Arguments, 4, 1000);
        using ItemSender file = router.Credits.Open(StreamKind.File, 4, 1000);
        Task waiting = await UseUpAndWaitAsync(argument);

        // The same context and number, for the file: the channel argument's pump stays held back.
        router.Credits.Grant(StreamKind.File, Credit(src: 4, handle: 1000, count: 8));
        Assert.False(waiting.IsCompleted, "a file's credit released a channel argument's item");

        router.Credits.Grant(StreamKind.Arguments, Credit(src: 4, handle: 1000, count: 8));
        Assert.True(waiting.IsCompleted);
    }

    [Fact(Timeout = 10_000)]
    public async Task A_credit_from_another_context_reaches_no_window()
    {
        await using var router = new Router();
        using ItemSender sender = router.Credits.Open(StreamKind.File, 4, 1000);
        Task waiting = await UseUpAndWaitAsync(sender);

        router.Credits.Grant(StreamKind.File, Credit(src: 5, handle: 1000, count: 8));
        Assert.False(waiting.IsCompleted, "context 5 gave credit for context 4's file");
    }

    [Fact(Timeout = 10_000)]
    public async Task Closing_an_earlier_stream_leaves_a_later_one_on_the_same_key_its_window()
    {
        await using var router = new Router();
        ItemSender earlier = router.Credits.Open(StreamKind.File, 4, 1000);
        using ItemSender later = router.Credits.Open(StreamKind.File, 4, 1000);
        Task waiting = await UseUpAndWaitAsync(later);

        earlier.Dispose();
        router.Credits.Grant(StreamKind.File, Credit(src: 4, handle: 1000, count: 1));
        Assert.True(waiting.IsCompleted, "the earlier stream's end closed the later one's window");
    }

    [Fact(Timeout = 10_000)]
    public async Task A_receiver_returns_credit_every_half_window_and_refuses_an_item_past_its_credit()
    {
        await Task.Yield();
        var returned = new List<int>();
        var receiver = new ItemReceiver<int>(returned.Add);
        for (int i = 0; i < CreditWindow.Size; i++)
        {
            Assert.True(receiver.Offer(i));
        }

        Assert.False(receiver.Offer(CreditWindow.Size), "the window took one item more than its credit");
        for (int i = 0; i < CreditWindow.ReturnEvery - 1; i++)
        {
            Assert.True(receiver.TryTake(out _));
        }

        Assert.Empty(returned);
        Assert.True(receiver.TryTake(out int eighth));
        Assert.Equal(CreditWindow.ReturnEvery - 1, eighth);
        Assert.Equal([CreditWindow.ReturnEvery], returned);
    }

    /// <summary>Takes every credit of <paramref name="sender"/>'s window, then returns a wait for one more.</summary>
    private static async Task<Task> UseUpAndWaitAsync(ItemSender sender)
    {
        for (int i = 0; i < CreditWindow.Size; i++)
        {
            await sender.WaitForCreditAsync(CancellationToken.None);
        }

        Task waiting = sender.WaitForCreditAsync(CancellationToken.None);
        Assert.False(waiting.IsCompleted);
        return waiting;
    }

    private static Message Credit(int src, int handle, int count)
    {
        byte[] payload = new byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(payload, handle);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(payload.AsSpan(4), count);
        return new Message(new MessageHeader(0, src, src, Handles.Credit, Handles.None, MessageFlags.None, payload.Length), payload, pooled: false);
    }
}
