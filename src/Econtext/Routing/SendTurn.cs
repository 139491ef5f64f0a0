namespace Econtext.Routing;

/// <summary>
/// One turn at a time to queue a message on <paramref name="stream"/>, given only while less than
/// <see cref="ContextStream.AnswerQueueLimit"/> waits in its send queue: what bounds the answers a
/// peer asks for at will and may never read (assemblies, file chunks) to one message beyond that limit.
/// </summary>
internal sealed class SendTurn(ContextStream stream)
{
    private readonly SemaphoreSlim _turn = new(1, 1);

    /// <summary>True with the turn held (give it back with <see cref="Release"/>); false, holding nothing, once the stream is broken.</summary>
    public async Task<bool> TakeAsync(CancellationToken cancellationToken)
    {
        await _turn.WaitAsync(cancellationToken).ConfigureAwait(false);
        bool open;
        try
        {
            open = await stream.WhenQueuedBelowAsync(ContextStream.AnswerQueueLimit).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            _turn.Release();
            throw;
        }

        if (!open)
        {
            _turn.Release();
        }

        return open;
    }

    public void Release() => _turn.Release();
}
