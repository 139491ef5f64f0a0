using System.Diagnostics;
using Econtext.Cli.Targets;

namespace Econtext.Cli.Running;

/// <summary>
/// Runs one command's work on every host, at most <see cref="RunSettings.Forks"/> at once, and turns
/// each host's end into an <see cref="HostOutcome"/>: a transport failure makes it unreachable (with the
/// transport's classification), an exception or an unsuccessful result makes it failed. One host's
/// failure never stops the others.
/// </summary>
internal static class HostRunner
{
    /// <summary>Exit codes as Ansible's: 4 when a host was unreachable, else 2 when one failed (ansible's strategy checks unreachable first).</summary>
    public const int HostFailedExitCode = 2;

    public const int HostUnreachableExitCode = 4;

    public static async Task<IReadOnlyList<HostOutcome>> RunAsync(RunSettings settings, HostWork work, IRunView view, CancellationToken cancellationToken)
    {
        if (settings.ListHostsOnly)
        {
            HostList.Write(settings, CliSession.Current.Out);
            return [];
        }

        long started = Stopwatch.GetTimestamp();
        await using IHostContexts contexts = CliSession.Current.OpenContexts(settings);
        HostProgress[] hosts = [.. settings.Hosts.Select(h => new HostProgress(h))];
        using var forks = new SemaphoreSlim(Math.Max(1, settings.Forks));

        Task all = Task.WhenAll(hosts.Select(async host =>
        {
            await forks.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                // The outcome is shown as soon as it is known; the host's shutdown follows, inside its fork slot.
                await RunOneAsync(
                    contexts,
                    host,
                    work,
                    settings.HostTimeout,
                    outcome =>
                    {
                        host.Finish(outcome);
                        view.HostFinished(host);
                    },
                    cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                forks.Release();
            }
        }));

        await view.ShowAsync(hosts, all).ConfigureAwait(false);
        await all.ConfigureAwait(false);

        // An interrupt is the user's, whatever the hosts' ends looked like as it arrived.
        cancellationToken.ThrowIfCancellationRequested();

        HostOutcome[] outcomes = [.. hosts.Select(h => h.Outcome!)];
        view.Summarize(outcomes, Stopwatch.GetElapsedTime(started));
        return outcomes;
    }

    public static int ExitCode(IReadOnlyList<HostOutcome> outcomes) =>
        outcomes.Any(o => o.State == HostState.Unreachable) ? HostUnreachableExitCode
        : outcomes.Any(o => o.State == HostState.Failed) ? HostFailedExitCode
        : 0;

    private static async Task RunOneAsync(IHostContexts contexts, HostProgress progress, HostWork work, TimeSpan? timeout, Action<HostOutcome> finish, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (timeout is TimeSpan limit)
        {
            deadline.CancelAfter(limit);
        }

        try
        {
            await RunOneAsync(contexts, progress, work, finish, deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            HostState state = progress.State == HostState.Connecting ? HostState.Unreachable : HostState.Failed;
            finish(new HostOutcome(progress.Host, state, progress.Elapsed, $"timed out after {timeout!.Value.TotalSeconds:0.#} s (--host-timeout) while {(state == HostState.Unreachable ? "connecting" : "running")}", null, null));
        }
    }

    private static async Task RunOneAsync(IHostContexts contexts, HostProgress progress, HostWork work, Action<HostOutcome> finish, CancellationToken cancellationToken)
    {
        TargetHost host = progress.Host;
        progress.Start();
        if (host.Refusal is string refusal)
        {
            // An inventory host econtext cannot reach fails alone; the others selected with it still run.
            finish(new HostOutcome(host, HostState.Failed, progress.Elapsed, refusal, null, null));
            return;
        }

        HostLease connected;
        try
        {
            connected = await contexts.AcquireAsync(host, cancellationToken).ConfigureAwait(false);
        }
        catch (BecomeFailedException ex)
        {
            // Reached, and then sudo, su or doas refused: Ansible's FAILED ("Incorrect sudo password"), not UNREACHABLE.
            finish(new HostOutcome(host, HostState.Failed, progress.Elapsed, Failures.Describe(ex.Connection), ex.Connection.Kind, null));
            return;
        }
        catch (ConnectionException ex)
        {
            finish(new HostOutcome(host, HostState.Unreachable, progress.Elapsed, Failures.Describe(ex), ex.Kind, null));
            return;
        }
        catch (ContextDisconnectedException ex)
        {
            finish(new HostOutcome(host, HostState.Unreachable, progress.Elapsed, Failures.Describe(ex), null, null));
            return;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            finish(new HostOutcome(host, HostState.Unreachable, progress.Elapsed, Failures.Describe(ex), null, null));
            return;
        }

        try
        {
            HostOutcome outcome;
            try
            {
                progress.State = HostState.Running;
                HostWorkResult result = await work(host, connected.Context, progress, cancellationToken).ConfigureAwait(false);
                outcome = new HostOutcome(host, result.Succeeded ? HostState.Ok : HostState.Failed, progress.Elapsed, result.Summary, null, result.Json) { Reconnected = connected.ReconnectReason };
            }
            catch (ContextDisconnectedException ex)
            {
                // Not run again: the work may be what ended the context (a reboot), and must not happen twice.
                outcome = new HostOutcome(host, HostState.Unreachable, progress.Elapsed, Failures.Describe(ex), null, null) { Reconnected = connected.ReconnectReason };
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                outcome = new HostOutcome(host, HostState.Failed, progress.Elapsed, Failures.Describe(ex), null, null) { Reconnected = connected.ReconnectReason };
            }

            finish(outcome);
        }
        finally
        {
            await connected.End(cancellationToken.IsCancellationRequested).ConfigureAwait(false);
        }
    }
}
