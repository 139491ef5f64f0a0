using System.Linq.Expressions;
using Econtext.Calls;

namespace Econtext;

/// <summary>
/// Your handle on another process (a context): call static methods in it, and shut it down.
/// Calls are validated here, at the call site; values travel typed by the method's declaration.
/// </summary>
public sealed class Context
{
    /// <summary>Smaller chunks only multiply messages; 4 KiB is a page.</summary>
    private const int MinimumChunk = 4096;

    private readonly Router _router;
    private readonly CancellationTokenSource _disconnected = new();

    internal Context(Router router, int id, string name)
    {
        _router = router;
        Id = id;
        Name = name;
    }

    /// <summary>The context's id, unique within its router tree (the master is 0).</summary>
    public int Id { get; }

    /// <summary>Name used in logs and errors, such as <c>local.4242</c>.</summary>
    public string Name { get; }

    /// <summary>Cancelled when the context, or a hop to it, is gone.</summary>
    public CancellationToken Disconnected => _disconnected.Token;

    /// <summary>Why the context disconnected, once it has.</summary>
    public string? DisconnectReason { get; private set; }

    /// <summary>The context this one was started through, or null for a direct child.</summary>
    internal Context? Via { get; init; }

    /// <summary>Process id of the context on its host, as it reported when it started.</summary>
    public int RemoteProcessId { get; internal set; }

    /// <summary>Runs <paramref name="call"/> in the context and returns its result.</summary>
    /// <exception cref="ArgumentException">The lambda is not one call of a static method, or a parameter or result type cannot travel (the message says which and why); nothing was sent.</exception>
    /// <exception cref="RemoteException">The method threw in the context.</exception>
    /// <exception cref="ContextDisconnectedException">The context, or a hop to it, went away before the call completed; whether it ran is unknown.</exception>
    /// <exception cref="MessageTooLargeException">The call or its result would exceed <see cref="RouterOptions.MaxMessageSize"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; the context is asked to cancel the call too.</exception>
    [System.Diagnostics.CodeAnalysis.RequiresUnreferencedCode(AotNotes.Calls)]
    [System.Diagnostics.CodeAnalysis.RequiresDynamicCode(AotNotes.Calls)]
    public Task<T> CallAsync<T>(Expression<Func<T>> call, CancellationToken cancellationToken = default) =>
        _router.Calls.CallAsync<T>(this, call, cancellationToken);

    /// <summary>Runs an async method in the context and returns its result.</summary>
    /// <exception cref="ArgumentException">The lambda is not one call of a static method, or a parameter or result type cannot travel (the message says which and why); nothing was sent.</exception>
    /// <exception cref="RemoteException">The method threw in the context.</exception>
    /// <exception cref="ContextDisconnectedException">The context, or a hop to it, went away before the call completed; whether it ran is unknown.</exception>
    /// <exception cref="MessageTooLargeException">The call or its result would exceed <see cref="RouterOptions.MaxMessageSize"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; the context is asked to cancel the call too.</exception>
    [System.Diagnostics.CodeAnalysis.RequiresUnreferencedCode(AotNotes.Calls)]
    [System.Diagnostics.CodeAnalysis.RequiresDynamicCode(AotNotes.Calls)]
    public Task<T> CallAsync<T>(Expression<Func<Task<T>>> call, CancellationToken cancellationToken = default) =>
        _router.Calls.CallAsync<T>(this, call, cancellationToken);

    /// <summary>Runs a ValueTask-returning method in the context and returns its result.</summary>
    /// <exception cref="ArgumentException">The lambda is not one call of a static method, or a parameter or result type cannot travel (the message says which and why); nothing was sent.</exception>
    /// <exception cref="RemoteException">The method threw in the context.</exception>
    /// <exception cref="ContextDisconnectedException">The context, or a hop to it, went away before the call completed; whether it ran is unknown.</exception>
    /// <exception cref="MessageTooLargeException">The call or its result would exceed <see cref="RouterOptions.MaxMessageSize"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; the context is asked to cancel the call too.</exception>
    [System.Diagnostics.CodeAnalysis.RequiresUnreferencedCode(AotNotes.Calls)]
    [System.Diagnostics.CodeAnalysis.RequiresDynamicCode(AotNotes.Calls)]
    public Task<T> CallAsync<T>(Expression<Func<ValueTask<T>>> call, CancellationToken cancellationToken = default) =>
        _router.Calls.CallAsync<T>(this, call, cancellationToken);

    /// <summary>Runs a void method in the context; completes when it returns.</summary>
    /// <exception cref="ArgumentException">The lambda is not one call of a static method, or a parameter or result type cannot travel (the message says which and why); nothing was sent.</exception>
    /// <exception cref="RemoteException">The method threw in the context.</exception>
    /// <exception cref="ContextDisconnectedException">The context, or a hop to it, went away before the call completed; whether it ran is unknown.</exception>
    /// <exception cref="MessageTooLargeException">The call or its result would exceed <see cref="RouterOptions.MaxMessageSize"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; the context is asked to cancel the call too.</exception>
    [System.Diagnostics.CodeAnalysis.RequiresUnreferencedCode(AotNotes.Calls)]
    [System.Diagnostics.CodeAnalysis.RequiresDynamicCode(AotNotes.Calls)]
    public Task CallAsync(Expression<Action> call, CancellationToken cancellationToken = default) =>
        _router.Calls.CallAsync<NoResult>(this, call, cancellationToken);

    /// <summary>Runs an async method in the context; completes when its task does.</summary>
    /// <exception cref="ArgumentException">The lambda is not one call of a static method, or a parameter or result type cannot travel (the message says which and why); nothing was sent.</exception>
    /// <exception cref="RemoteException">The method threw in the context.</exception>
    /// <exception cref="ContextDisconnectedException">The context, or a hop to it, went away before the call completed; whether it ran is unknown.</exception>
    /// <exception cref="MessageTooLargeException">The call or its result would exceed <see cref="RouterOptions.MaxMessageSize"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; the context is asked to cancel the call too.</exception>
    [System.Diagnostics.CodeAnalysis.RequiresUnreferencedCode(AotNotes.Calls)]
    [System.Diagnostics.CodeAnalysis.RequiresDynamicCode(AotNotes.Calls)]
    public Task CallAsync(Expression<Func<Task>> call, CancellationToken cancellationToken = default) =>
        _router.Calls.CallAsync<NoResult>(this, call, cancellationToken);

    /// <summary>Runs a ValueTask-returning method in the context; completes when it does.</summary>
    /// <exception cref="ArgumentException">The lambda is not one call of a static method, or a parameter or result type cannot travel (the message says which and why); nothing was sent.</exception>
    /// <exception cref="RemoteException">The method threw in the context.</exception>
    /// <exception cref="ContextDisconnectedException">The context, or a hop to it, went away before the call completed; whether it ran is unknown.</exception>
    /// <exception cref="MessageTooLargeException">The call or its result would exceed <see cref="RouterOptions.MaxMessageSize"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; the context is asked to cancel the call too.</exception>
    [System.Diagnostics.CodeAnalysis.RequiresUnreferencedCode(AotNotes.Calls)]
    [System.Diagnostics.CodeAnalysis.RequiresDynamicCode(AotNotes.Calls)]
    public Task CallAsync(Expression<Func<ValueTask>> call, CancellationToken cancellationToken = default) =>
        _router.Calls.CallAsync<NoResult>(this, call, cancellationToken);

    /// <summary>
    /// Lets code running in this context read <paramref name="path"/> here (a file, or a directory
    /// and everything below it) with <see cref="CurrentContext.FetchFileAsync(string, string, CancellationToken)"/>.
    /// Nothing else on this machine is served to it: paths with "..", relative paths, and paths
    /// whose symbolic links lead out of what was shared are refused. Dispose the result to take it back.
    /// </summary>
    public IDisposable ShareFiles(string path) => _router.ShareFiles(this, path);

    /// <summary>
    /// Copies a local file to <paramref name="remotePath"/> in this context, chunk by chunk (never the
    /// whole file in memory), through a temporary name and a rename, keeping mode and modification
    /// time; skipped when the destination already has the same size and SHA-256.
    /// </summary>
    [System.Diagnostics.CodeAnalysis.RequiresUnreferencedCode(AotNotes.Calls)]
    [System.Diagnostics.CodeAnalysis.RequiresDynamicCode(AotNotes.Calls)]
    public Task<FileTransferResult> PushFileAsync(string localPath, string remotePath, FileTransferOptions? options = null, CancellationToken cancellationToken = default) =>
        Files.FileTransfers.PushAsync(this, localPath, remotePath, FitChunks(options), cancellationToken);

    /// <summary>Copies <paramref name="remotePath"/> in this context to a local file, the same way.</summary>
    [System.Diagnostics.CodeAnalysis.RequiresUnreferencedCode(AotNotes.Calls)]
    [System.Diagnostics.CodeAnalysis.RequiresDynamicCode(AotNotes.Calls)]
    public Task<FileTransferResult> FetchFileAsync(string remotePath, string localPath, FileTransferOptions? options = null, CancellationToken cancellationToken = default) =>
        Files.FileTransfers.FetchAsync(this, remotePath, localPath, FitChunks(options), cancellationToken);

    /// <summary>
    /// Copies everything <paramref name="source"/> yields (read to its end) to <paramref name="remotePath"/>
    /// in this context, chunk by chunk: a temporary name beside it, renamed when complete.
    /// </summary>
    [System.Diagnostics.CodeAnalysis.RequiresUnreferencedCode(AotNotes.Calls)]
    [System.Diagnostics.CodeAnalysis.RequiresDynamicCode(AotNotes.Calls)]
    public Task<FileTransferResult> PushStreamAsync(Stream source, string remotePath, FileTransferOptions? options = null, CancellationToken cancellationToken = default) =>
        Files.FileTransfers.PushStreamAsync(this, source, remotePath, FitChunks(options), cancellationToken);

    /// <summary>Writes the file <paramref name="remotePath"/> of this context to <paramref name="destination"/> as it arrives.</summary>
    [System.Diagnostics.CodeAnalysis.RequiresUnreferencedCode(AotNotes.Calls)]
    [System.Diagnostics.CodeAnalysis.RequiresDynamicCode(AotNotes.Calls)]
    public Task<FileTransferResult> FetchStreamAsync(string remotePath, Stream destination, FileTransferOptions? options = null, CancellationToken cancellationToken = default) =>
        Files.FileTransfers.FetchStreamAsync(this, remotePath, destination, FitChunks(options), cancellationToken);

    /// <summary>Copies a local directory tree into <paramref name="remoteDirectory"/>, file by file as <see cref="PushFileAsync"/> does; links are followed (a link to nothing, or back up the tree, is reported and not copied).</summary>
    [System.Diagnostics.CodeAnalysis.RequiresUnreferencedCode(AotNotes.Calls)]
    [System.Diagnostics.CodeAnalysis.RequiresDynamicCode(AotNotes.Calls)]
    public Task<DirectoryTransferResult> PushDirectoryAsync(string localDirectory, string remoteDirectory, FileTransferOptions? options = null, CancellationToken cancellationToken = default) =>
        Files.FileTransfers.PushTreeAsync(this, localDirectory, remoteDirectory, FitChunks(options), cancellationToken);

    /// <summary>Copies a directory tree of this context into <paramref name="localDirectory"/>, file by file as <see cref="FetchFileAsync"/> does; links are followed as <see cref="PushDirectoryAsync"/> does.</summary>
    [System.Diagnostics.CodeAnalysis.RequiresUnreferencedCode(AotNotes.Calls)]
    [System.Diagnostics.CodeAnalysis.RequiresDynamicCode(AotNotes.Calls)]
    public Task<DirectoryTransferResult> FetchDirectoryAsync(string remoteDirectory, string localDirectory, FileTransferOptions? options = null, CancellationToken cancellationToken = default) =>
        Files.FileTransfers.FetchTreeAsync(this, remoteDirectory, localDirectory, FitChunks(options), cancellationToken);

    /// <summary>
    /// Runs a method that returns <see cref="IAsyncEnumerable{T}"/> in the context and yields its items
    /// as they are produced. The producer runs at most a small window ahead of the consumer; leaving the
    /// loop early, or cancelling, stops the producer.
    /// </summary>
    [System.Diagnostics.CodeAnalysis.RequiresUnreferencedCode(AotNotes.Calls)]
    [System.Diagnostics.CodeAnalysis.RequiresDynamicCode(AotNotes.Calls)]
    public IAsyncEnumerable<T> StreamAsync<T>(Expression<Func<IAsyncEnumerable<T>>> call, CancellationToken cancellationToken = default) =>
        _router.Calls.StreamAsync<T>(this, call, cancellationToken);

    /// <summary>Starts <paramref name="call"/> in the context without waiting; its failure is only logged there.</summary>
    [System.Diagnostics.CodeAnalysis.RequiresUnreferencedCode(AotNotes.Calls)]
    [System.Diagnostics.CodeAnalysis.RequiresDynamicCode(AotNotes.Calls)]
    public void CallNoReply(Expression<Action> call) => _router.Calls.CallNoReply(this, call);

    /// <summary>Starts an async method in the context without waiting.</summary>
    [System.Diagnostics.CodeAnalysis.RequiresUnreferencedCode(AotNotes.Calls)]
    [System.Diagnostics.CodeAnalysis.RequiresDynamicCode(AotNotes.Calls)]
    public void CallNoReply(Expression<Func<Task>> call) => _router.Calls.CallNoReply(this, call);

    /// <summary>
    /// Asks the context to exit: it cancels its running calls, flushes its output and exits. Completes
    /// when it is gone; a context that does not exit within the grace period is killed.
    /// </summary>
    public Task ShutdownAsync(CancellationToken cancellationToken = default) => _router.ShutdownAsync(this, cancellationToken);

    /// <summary>
    /// One round trip to the context and back through everything between (a call to a method of the core,
    /// so no assembly travels): a health check. It returns the context's process id; it fails as a call
    /// does when the context is gone, and waits as long as <paramref name="cancellationToken"/> lets it for
    /// one that does not answer.
    /// </summary>
    [System.Diagnostics.CodeAnalysis.RequiresUnreferencedCode(AotNotes.Calls)]
    [System.Diagnostics.CodeAnalysis.RequiresDynamicCode(AotNotes.Calls)]
    public Task<int> PingAsync(CancellationToken cancellationToken = default) =>
        CallAsync(() => Pooling.HealthProbe.Answer(), cancellationToken);

    /// <summary>The context's name and id, for logs: <c>web1 (id 3)</c>.</summary>
    public override string ToString() => $"{Name} (id {Id})";

    internal void MarkDisconnected(string reason)
    {
        if (DisconnectReason is not null)
        {
            return;
        }

        DisconnectReason = reason;
        try
        {
            _disconnected.Cancel();
        }
        catch (AggregateException)
        {
            // A user's callback threw; the disconnect itself must go on.
        }
    }

    /// <summary>
    /// The options with a chunk size that fits in one message under this router's
    /// <see cref="RouterOptions.MaxMessageSize"/>: a larger chunk would be a frame the other side refuses.
    /// </summary>
    internal FileTransferOptions FitChunks(FileTransferOptions? options)
    {
        options ??= new FileTransferOptions();
        int fitted = Math.Clamp(options.ChunkSize, MinimumChunk, _router.LargestPayloadChunk);
        return fitted == options.ChunkSize ? options : options with { ChunkSize = fitted };
    }
}
