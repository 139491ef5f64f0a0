using Econtext.Routing;

namespace Econtext.Files;

/// <summary>
/// The FILE_GET requests that arrived on one stream, and what bounds what they make the master hold
/// for a peer that asks at will and may never read (issue 17): how many are taken in at all
/// (<see cref="MaxRequests"/>), how many have a file open at once (<see cref="MaxOpen"/>), and one
/// turn to queue a message, taken only while less than <see cref="ContextStream.AnswerQueueLimit"/>
/// waits in the stream's send queue. Each transfer's credit window bounds it alone; this bounds
/// them together.
/// </summary>
internal sealed class FileRequestLane(ContextStream stream)
{
    /// <summary>
    /// Requests taken in and not yet done; more are refused. Far above what a context fetches at once
    /// (each fetch is a task waiting for its file), low enough that waiting ones cost little.
    /// </summary>
    public const int MaxRequests = 256;

    /// <summary>Transfers with a file open; the others wait their turn, holding no descriptor.</summary>
    public const int MaxOpen = 8;

    private readonly SemaphoreSlim _open = new(MaxOpen, MaxOpen);
    private readonly SendTurn _turn = new(stream);
    private int _requests;

    // Requests parked (for a slot, credit, or room in the queue), and the one holding the turn (its
    // send may wait on the pipe for as long as the peer does not read). Nothing here decides on
    // them: they tell a debugger, and the tests (by reflection), that every request not done waits
    // on the peer rather than works, which is when what the stream holds can be measured.
    private int _parked;
    private int _turnHeld;

    public ContextStream Stream => stream;

    /// <summary>Takes a request in; false when <see cref="MaxRequests"/> are not done yet. Each true is followed by one <see cref="Done"/>.</summary>
    public bool TryAccept()
    {
        if (Interlocked.Increment(ref _requests) > MaxRequests)
        {
            Interlocked.Decrement(ref _requests);
            return false;
        }

        return true;
    }

    public void Done() => Interlocked.Decrement(ref _requests);

    /// <summary>Waits until fewer than <see cref="MaxOpen"/> transfers of this stream have a file open; <see cref="CloseFile"/> gives the slot back.</summary>
    public Task OpenFileAsync(CancellationToken cancellationToken) => ParkAsync(_open.WaitAsync(cancellationToken));

    public void CloseFile() => _open.Release();

    /// <summary>Waits, counted as parked, for <paramref name="wait"/> (a transfer's credit window).</summary>
    public async Task ParkAsync(Task wait)
    {
        Interlocked.Increment(ref _parked);
        try
        {
            await wait.ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _parked);
        }
    }

    /// <summary>
    /// Takes the turn to queue one message once less than the limit is queued for the stream; true
    /// with the turn held (give it back with <see cref="EndTurn"/>), false when the stream is broken.
    /// </summary>
    public async Task<bool> TakeTurnAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _parked);
        try
        {
            if (!await _turn.TakeAsync(cancellationToken).ConfigureAwait(false))
            {
                return false;
            }

            Interlocked.Increment(ref _turnHeld);
            return true;
        }
        finally
        {
            Interlocked.Decrement(ref _parked);
        }
    }

    public void EndTurn()
    {
        Interlocked.Decrement(ref _turnHeld);
        _turn.Release();
    }
}
