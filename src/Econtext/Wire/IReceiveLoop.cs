namespace Econtext.Wire;

/// <summary>
/// The receive loop that read a message, as the message's handler sees it (<see cref="Message.Loop"/>).
/// The handler may lend the loop to run the message's work on the thread that read it, with no
/// thread wake-up in between; the loop itself lives in Routing (ReceiveLoop), which Wire does not see.
/// </summary>
internal interface IReceiveLoop
{
    /// <summary>
    /// Lends the loop to the current thread, which may then run the message's work to its end (user
    /// code, blocking waits, more messages needed from the same stream); another thread reads
    /// meanwhile if the work runs long. False when the current thread does not hold this loop (off
    /// the handler's thread, or later), the stream is broken, or enough threads already run lent
    /// work: the handler then hands the work to the pool, as it must never block a receive loop.
    /// </summary>
    bool TryLend();
}
