using Econtext.Wire;

namespace Econtext.Calls;

/// <summary>
/// A CALL queued to the thread pool. A work item object rather than a callback with a tuple of
/// state: the pool's generic callback wrapper over a value tuple has no ReadyToRun code, so every
/// child compiled three methods of it before its first call.
/// </summary>
internal sealed class CallWork(Dispatcher dispatcher, Message message, CancellationTokenSource cts) : IThreadPoolWorkItem
{
    public void Execute() => dispatcher.Run(message, cts);
}
