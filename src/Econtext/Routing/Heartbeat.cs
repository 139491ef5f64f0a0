using System.Globalization;
using Econtext.Wire;
using Microsoft.Extensions.Logging;

namespace Econtext.Routing;

/// <summary>
/// A router's watch over the contexts it started directly: one timer for all their streams. A
/// stream from which nothing has arrived for <see cref="RouterOptions.HeartbeatInterval"/> gets a
/// HEARTBEAT; one from which nothing at all, not even the answer, has arrived for
/// <see cref="RouterOptions.HeartbeatTimeout"/> is broken with a reason a person understands, which
/// fails its calls (and, in an intermediate, reports it upward) as any other broken stream does.
/// </summary>
/// <remarks>
/// Only a timestamp is stored per read on the receive path (see <see cref="ContextStream.LastHeard"/>);
/// everything else happens on this timer. A child answers on its receive loop, which keeps reading
/// while its calls run (their loops are lent and handed over), so a busy child still answers.
/// </remarks>
internal sealed class Heartbeat : IDisposable
{
    private readonly long _intervalMs;
    private readonly long _timeoutMs;
    private readonly int _ownId;
    private readonly ILogger _log;
    private readonly Action<ContextStream> _silent;
    private readonly List<Watch> _watched = [];
    private readonly Timer _timer;
    private long _lastTick;
    private bool _running;
    private bool _disposed;

    private Heartbeat(int ownId, long intervalMs, long timeoutMs, ILogger log, Action<ContextStream> silent)
    {
        _ownId = ownId;
        _silent = silent;
        _intervalMs = intervalMs;
        _timeoutMs = timeoutMs;
        _log = log;
        _timer = new Timer(static s => ((Heartbeat)s!).Tick(), this, Timeout.Infinite, Timeout.Infinite);
    }

    /// <summary>Checks the options' heartbeat settings; throws a clear <see cref="ArgumentOutOfRangeException"/> for bad ones.</summary>
    public static void Validate(RouterOptions options, string parameterName)
    {
        if (IsOff(options.HeartbeatInterval) || IsOff(options.HeartbeatTimeout))
        {
            return;
        }

        if (options.HeartbeatInterval < TimeSpan.FromMilliseconds(10) || options.HeartbeatInterval.TotalMilliseconds > int.MaxValue)
        {
            throw new ArgumentOutOfRangeException(parameterName, options.HeartbeatInterval, "HeartbeatInterval must be between 10 ms and 24 days; zero or Timeout.InfiniteTimeSpan turns heartbeats off");
        }

        if (options.HeartbeatTimeout <= options.HeartbeatInterval || options.HeartbeatTimeout.TotalMilliseconds > int.MaxValue)
        {
            throw new ArgumentOutOfRangeException(
                parameterName,
                options.HeartbeatTimeout,
                $"HeartbeatTimeout must be longer than HeartbeatInterval ({Seconds(options.HeartbeatInterval.TotalMilliseconds)}) and at most 24 days; zero or Timeout.InfiniteTimeSpan turns heartbeats off");
        }
    }

    /// <summary>The settings as carried to children in <see cref="Bootstrap.ChildConfig"/>: milliseconds, both 0 when off.</summary>
    public static (int IntervalMs, int TimeoutMs) ToWire(RouterOptions options) =>
        IsOff(options.HeartbeatInterval) || IsOff(options.HeartbeatTimeout)
            ? (0, 0)
            : ((int)options.HeartbeatInterval.TotalMilliseconds, (int)options.HeartbeatTimeout.TotalMilliseconds);

    /// <summary>Null when the settings turn heartbeats off.</summary>
    /// <param name="ownId">This router's context id (the heartbeats' source).</param>
    /// <param name="options">Where the interval and timeout come from.</param>
    /// <param name="log">Where a silent context is reported.</param>
    /// <param name="silent">Called for a stream that gave no sign within the timeout, after it is broken: its process is ended there.</param>
    public static Heartbeat? Create(int ownId, RouterOptions options, ILogger log, Action<ContextStream> silent)
    {
        (int interval, int timeout) = ToWire(options);
        return interval == 0 ? null : new Heartbeat(ownId, interval, timeout, log, silent);
    }

    private static bool IsOff(TimeSpan value) => value == TimeSpan.Zero || value == Timeout.InfiniteTimeSpan;

    /// <summary>In a child, on its receive loop: answers the parent's HEARTBEAT at once, without a thread hop.</summary>
    public static void Answer(ContextStream parent, int ownId)
    {
        var frame = new FrameBuilder(0);
        frame.Complete(parent.RemoteId, ownId, ownId, Handles.HeartbeatAck, Handles.None, MessageFlags.None);
        try
        {
            parent.Send(frame);
        }
        catch (StreamBrokenException)
        {
            // The parent is gone; the child learns it from its receive loop.
        }
    }

    /// <summary>Starts watching a stream to a context this router started.</summary>
    public void Add(ContextStream stream)
    {
        lock (_watched)
        {
            if (_disposed)
            {
                return;
            }

            _watched.Add(new Watch(stream));
            if (!_running)
            {
                _running = true;
                _lastTick = Environment.TickCount64;
                _timer.Change(_intervalMs, _intervalMs);
            }
        }
    }

    public void Dispose()
    {
        lock (_watched)
        {
            _disposed = true;
            _watched.Clear();
            _timer.Dispose();
        }
    }

    private void Tick()
    {
        List<(ContextStream Stream, string Reason)>? dead = null;
        List<ContextStream>? ask = null;
        lock (_watched)
        {
            long now = Environment.TickCount64;

            // A tick this late means this process itself did not run (stopped, starved): the answers
            // may be sitting unread in its pipes. Everyone gets a fresh heartbeat and a full timeout.
            bool late = now - _lastTick > 2 * _intervalMs;
            _lastTick = now;
            for (int i = _watched.Count - 1; i >= 0; i--)
            {
                Watch watch = _watched[i];
                ContextStream stream = watch.Stream;
                if (stream.IsBroken)
                {
                    _watched[i] = _watched[^1];
                    _watched.RemoveAt(_watched.Count - 1);
                    continue;
                }

                long heard = stream.LastHeard;
                if (late || heard >= watch.AskedAt)
                {
                    watch.AskedAt = 0;
                }

                // Silent for the whole timeout, and asked long enough ago that the answer had time
                // to come (the question may have gone out late, behind a starved timer).
                if (watch.AskedAt != 0 && now - heard >= _timeoutMs && now - watch.AskedAt >= _timeoutMs - _intervalMs)
                {
                    (dead ??= []).Add((stream, Reason(stream, now - heard)));
                    _watched[i] = _watched[^1];
                    _watched.RemoveAt(_watched.Count - 1);
                    continue;
                }

                if (watch.AskedAt == 0 && now - heard >= _intervalMs)
                {
                    watch.AskedAt = now;
                    (ask ??= []).Add(stream);
                }
            }

            if (_watched.Count == 0 && _running && !_disposed)
            {
                _running = false;
                _timer.Change(Timeout.Infinite, Timeout.Infinite);
            }
        }

        foreach (ContextStream stream in ask ?? [])
        {
            var frame = new FrameBuilder(0);
            frame.Complete(stream.RemoteId, _ownId, _ownId, Handles.Heartbeat, Handles.None, MessageFlags.None);
            try
            {
                stream.Send(frame);
            }
            catch (StreamBrokenException)
            {
            }
        }

        foreach ((ContextStream stream, string reason) in dead ?? [])
        {
            _log.LogWarning("{Context}: {Reason}", stream.Name, reason);
            stream.Break(reason);
            _silent(stream);
        }
    }

    private string Reason(ContextStream stream, long silentMs) =>
        $"no answer to heartbeats for {Seconds(silentMs)} (nothing at all has come from {stream.Name} for that long, "
        + $"RouterOptions.HeartbeatTimeout is {Seconds(_timeoutMs)}): the context is stopped or hung, or its host or the network to it is unreachable";

    private static string Seconds(double milliseconds) =>
        (milliseconds / 1000).ToString(milliseconds < 10_000 ? "0.#" : "0", CultureInfo.InvariantCulture) + " s";

    /// <summary>One watched stream; <see cref="AskedAt"/> is when the unanswered heartbeat went out, 0 if none is.</summary>
    private sealed class Watch(ContextStream stream)
    {
        public ContextStream Stream { get; } = stream;

        public long AskedAt { get; set; }
    }
}
