using Econtext.Transports;

namespace Econtext.Bootstrap;

/// <summary>Why a context did not start, from what its transport did and said: a classified <see cref="ConnectionException"/> with the fix.</summary>
internal static class ConnectFailure
{
    public static Exception Describe(TransportProcess transport, string name, string marker, bool timedOut, FailureHints hints, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        string exit = transport.DescribeExit(TimeSpan.FromSeconds(2));
        transport.OutputDrained.Wait(TimeSpan.FromSeconds(2));
        IReadOnlyList<string> lines = transport.RecentLines();
        string said = lines.Count == 0 ? "It printed nothing." : "It said:" + Environment.NewLine + string.Join(Environment.NewLine, lines.Select(l => "  " + l));
        if (marker.StartsWith(Stage0.NoRuntimeMarker, StringComparison.Ordinal) && marker[Stage0.NoRuntimeMarker.Length..].Trim() is { } detail && detail.StartsWith(Stage0.NotKept, StringComparison.Ordinal))
        {
            // Shipping was on and tried: installing or turning it on is not the fix, room on the target is.
            return new ConnectionException(
                ConnectionFailure.RuntimeNotFound,
                name,
                $"{name}: the target has no .NET runtime, and {detail}. "
                + "Point RouterOptions.RuntimeCacheDirectory at a directory the target's user can write (it is made if missing), or give the target a writable TMPDIR or /tmp "
                + "(a container run with --read-only: add --tmpfs /tmp); or install .NET 10 or newer there."
                + (lines.Count == 0 ? string.Empty : " " + said),
                lines);
        }

        if (marker.StartsWith(Stage0.NoRuntimeMarker, StringComparison.Ordinal))
        {
            return new ConnectionException(
                ConnectionFailure.RuntimeNotFound,
                name,
                $"{name}: no .NET runtime was found on the target ({marker[Stage0.NoRuntimeMarker.Length..].Trim()}). Looked in: {string.Join(", ", Stage0.SearchOrder)}. "
                + "Install .NET 10 or newer there, point at one with DotnetPath or DOTNET_ROOT, or let Econtext send its own (RouterOptions.ShipRuntime, on unless turned off)."
                + (lines.Count == 0 ? string.Empty : " " + said),
                lines);
        }

        if (marker == Stage0.NoTempMarker)
        {
            return new ConnectionException(
                ConnectionFailure.TransportExited,
                name,
                $"{name}: stage 0 could not write the two small start files it needs in any of $XDG_RUNTIME_DIR, /dev/shm, $TMPDIR or /tmp on the target "
                + "(full, read-only, or not writable by the target's user?). Free some room or give the target's user a writable TMPDIR, then connect again."
                + (lines.Count == 0 ? string.Empty : " " + said),
                lines);
        }

        if (TransportFailure.Classify(lines, hints) is { } known)
        {
            return new ConnectionException(known.Kind, name, $"{name}: {transport.Description} {exit} before the context was running. {said}{Environment.NewLine}{known.Advice}", lines);
        }

        if (timedOut)
        {
            return new ConnectionException(ConnectionFailure.ConnectTimeout, name, $"{name}: the context did not start within the connect timeout ({transport.Description}, {exit}). {said}", lines);
        }

        return new ConnectionException(
            ConnectionFailure.TransportExited,
            name,
            $"{name}: {transport.Description} {exit} before the context was running. {said}",
            lines);
    }
}
