namespace Econtext.IntegrationTests;

/// <summary>A router whose messages may not exceed 1 MiB.</summary>
public sealed class SmallMessagesFixture : ChildFixture
{
    public const int Limit = 1024 * 1024;

    protected override RouterOptions Configure(RouterOptions options) => options with { MaxMessageSize = Limit };
}

/// <summary>Calls and results over RouterOptions.MaxMessageSize fail cleanly and leave the context usable.</summary>
public sealed class MessageSizeTests(SmallMessagesFixture fixture) : IClassFixture<SmallMessagesFixture>
{
    private readonly Context _ctx = fixture.Context;

    [Fact(Timeout = 60000)]
    public async Task Oversize_call_fails_at_the_caller_and_the_context_still_works()
    {
        byte[] huge = new byte[2 * SmallMessagesFixture.Limit];

        MessageTooLargeException ex = await Assert.ThrowsAsync<MessageTooLargeException>(() => _ctx.CallAsync(() => Echo.Length(huge))).WaitAsync(Bound);
        Assert.Equal(SmallMessagesFixture.Limit, ex.MaxMessageSize);
        Assert.True(ex.Size > SmallMessagesFixture.Limit, $"reported size {ex.Size}");
        Assert.Contains("Length", ex.Message, StringComparison.Ordinal);

        Assert.Null(_ctx.DisconnectReason);
        byte[] fits = new byte[SmallMessagesFixture.Limit / 2];
        Assert.Equal(fits.Length, await _ctx.CallAsync(() => Echo.Length(fits)).WaitAsync(Bound));
    }

    [Fact(Timeout = 60000)]
    public async Task Oversize_CallNoReply_throws_at_the_caller_and_the_context_still_works()
    {
        byte[] huge = new byte[2 * SmallMessagesFixture.Limit];
        string key = Guid.NewGuid().ToString();

        Assert.Throws<MessageTooLargeException>(() => _ctx.CallNoReply(() => Effects.Set(key, Convert.ToBase64String(huge))));

        Assert.Null(_ctx.DisconnectReason);
        Assert.Null(await _ctx.CallAsync(() => Effects.WaitFor(key, 0)).WaitAsync(Bound));
        Assert.Equal(3, await _ctx.CallAsync(() => Echo.Add(1, 2)).WaitAsync(Bound));
    }

    [Fact(Timeout = 60000)]
    public async Task Oversize_result_fails_the_call_and_the_context_still_works()
    {
        RemoteException ex = await Assert.ThrowsAsync<RemoteException>(() => _ctx.CallAsync(() => Echo.Bytes(2 * SmallMessagesFixture.Limit, 1))).WaitAsync(Bound);
        Assert.Equal(typeof(MessageTooLargeException).FullName, ex.RemoteType);
        Assert.Equal(_ctx.Name, ex.ContextName);

        Assert.Null(_ctx.DisconnectReason);
        byte[] fits = await _ctx.CallAsync(() => Echo.Bytes(SmallMessagesFixture.Limit / 2, 1)).WaitAsync(Bound);
        Assert.Equal(SmallMessagesFixture.Limit / 2, fits.Length);
    }

    [Fact(Timeout = 60000)]
    public async Task An_oversize_channel_item_fails_the_call_at_the_caller_and_the_context_still_works()
    {
        var chunks = System.Threading.Channels.Channel.CreateUnbounded<byte[]>();
        chunks.Writer.TryWrite(new byte[1000]);
        chunks.Writer.TryWrite(new byte[2 * SmallMessagesFixture.Limit]);
        chunks.Writer.Complete();

        MessageTooLargeException ex = await Assert.ThrowsAsync<MessageTooLargeException>(() => _ctx.CallAsync(() => Channels.TotalLengthAsync(chunks.Reader))).WaitAsync(Bound);

        Assert.Equal(SmallMessagesFixture.Limit, ex.MaxMessageSize);
        Assert.Contains("TotalLengthAsync", ex.Message, StringComparison.Ordinal);
        Assert.Null(_ctx.DisconnectReason);
        Assert.Equal(3, await _ctx.CallAsync(() => Echo.Add(1, 2)).WaitAsync(Bound));
    }

    [Fact(Timeout = 60000)]
    public async Task A_push_asking_for_chunks_over_the_limit_gets_chunks_that_fit()
    {
        byte[] data = new byte[5 * SmallMessagesFixture.Limit];
        Random.Shared.NextBytes(data);
        string remote = Path.Combine(Path.GetTempPath(), "econtext-chunks-" + Guid.NewGuid().ToString("N"));
        try
        {
            using var source = new MemoryStream(data);
            await _ctx.PushStreamAsync(source, remote, new FileTransferOptions { ChunkSize = 4 * SmallMessagesFixture.Limit }).WaitAsync(Bound);

            Assert.Equal(data, await File.ReadAllBytesAsync(remote));
            Assert.Null(_ctx.DisconnectReason);
        }
        finally
        {
            File.Delete(remote);
        }
    }

    [Fact(Timeout = 60000)]
    public async Task A_log_record_over_the_limit_arrives_cut_and_the_context_still_works()
    {
        string category = "huge-" + Guid.NewGuid().ToString("N")[..6];
        Task<LogEntry> cut = fixture.Logs.WaitForAsync(e => e.Category == _ctx.Name + "." + category);

        await _ctx.CallAsync(() => Output.LogLong(category, 2 * SmallMessagesFixture.Limit)).WaitAsync(Bound);

        LogEntry entry = await cut.WaitAsync(Bound);
        Assert.Contains("[cut: 2097152 characters in all", entry.Message, StringComparison.Ordinal);
        Assert.True(entry.Message.Length < SmallMessagesFixture.Limit, $"{entry.Message.Length} characters arrived");

        Assert.Null(_ctx.DisconnectReason);
        Assert.Equal(3, await _ctx.CallAsync(() => Echo.Add(1, 2)).WaitAsync(Bound));
    }
}
