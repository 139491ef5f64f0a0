using System.Linq.Expressions;
using System.Runtime.CompilerServices;
using Econtext.Calls;

namespace Econtext;

/// <summary>
/// One call on many contexts at once. Results come back as each context answers, each with its own
/// error: one unreachable or failing host never hides the others' results.
/// </summary>
public static class FanOut
{
    /// <summary>Runs <paramref name="call"/> in every context; yields each result as it completes.</summary>
    [System.Diagnostics.CodeAnalysis.RequiresUnreferencedCode(AotNotes.Calls)]
    [System.Diagnostics.CodeAnalysis.RequiresDynamicCode(AotNotes.Calls)]
    public static IAsyncEnumerable<ContextResult<T>> CallEachAsync<T>(this IEnumerable<Context> contexts, Expression<Func<T>> call, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(contexts);
        _ = CallCapture.Capture(call);
        return Each(contexts, context => context.CallAsync(call, cancellationToken), cancellationToken);
    }

    /// <summary>Runs an async <paramref name="call"/> in every context; yields each result as it completes.</summary>
    [System.Diagnostics.CodeAnalysis.RequiresUnreferencedCode(AotNotes.Calls)]
    [System.Diagnostics.CodeAnalysis.RequiresDynamicCode(AotNotes.Calls)]
    public static IAsyncEnumerable<ContextResult<T>> CallEachAsync<T>(this IEnumerable<Context> contexts, Expression<Func<Task<T>>> call, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(contexts);
        _ = CallCapture.Capture(call);
        return Each(contexts, context => context.CallAsync(call, cancellationToken), cancellationToken);
    }

    /// <summary>
    /// Pushes one file to the same path in every context. Contexts behind the same parent context
    /// get it through that parent, which copies it to each of them: the file crosses each link
    /// once, however many contexts sit behind it. Each context's outcome is reported on its own,
    /// in the order given.
    /// </summary>
    [System.Diagnostics.CodeAnalysis.RequiresUnreferencedCode(AotNotes.Calls)]
    [System.Diagnostics.CodeAnalysis.RequiresDynamicCode(AotNotes.Calls)]
    public static Task<IReadOnlyList<ContextResult<FileTransferResult>>> PushFileToEachAsync(
        this IEnumerable<Context> contexts, string localPath, string remotePath, FileTransferOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(contexts);
        ArgumentException.ThrowIfNullOrEmpty(localPath);
        ArgumentException.ThrowIfNullOrEmpty(remotePath);
        return Files.FileFanOut.PushAsync(contexts, localPath, remotePath, contexts.FirstOrDefault()?.FitChunks(options) ?? options, cancellationToken);
    }

    private static async IAsyncEnumerable<ContextResult<T>> Each<T>(IEnumerable<Context> contexts, Func<Context, Task<T>> start, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var running = new Dictionary<Task<T>, Context>();
        foreach (Context context in contexts)
        {
            Task<T> task;
            try
            {
                task = start(context);
            }
            catch (Exception ex) when (ex is not ArgumentException)
            {
                task = Task.FromException<T>(ex);
            }

            running[task] = context;
        }

        await foreach (Task<T> done in Task.WhenEach(running.Keys).WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            Context context = running[done];
            yield return done.IsCompletedSuccessfully
                ? new ContextResult<T>(context, done.Result, null)
                : new ContextResult<T>(context, default, done.Exception?.InnerException ?? new TaskCanceledException(done));
        }
    }
}
