using System.Collections.Concurrent;
using System.Text;
using Econtext.Routing;
using Microsoft.Extensions.Logging;

namespace Econtext.Forwarding;

/// <summary>
/// Master side: turns children's stdout/stderr chunks into lines and their log records into log
/// calls on the user's logger factory, under categories that start with the context's name.
/// Without a factory, lines go to this process's stderr as "[name] line".
/// </summary>
/// <remarks>
/// A line is held here only up to <see cref="MaxLineBytes"/> (<see cref="LineCap"/>): a child that
/// prints without ever ending its line would otherwise make the master hold all of it, and then the
/// text of it twice over. At the cap the part so far becomes a record of its own, marked with
/// <see cref="CutMarker"/>, and the rest of the line follows in the next records.
/// </remarks>
internal sealed class RemoteOutput(ILoggerFactory? factory)
{
    public const byte StdoutStream = 1;
    public const byte StderrStream = 2;

    /// <summary>The longest line held for one stream of one context.</summary>
    public const int MaxLineBytes = LineCap.MaxLineBytes;

    /// <summary>Ends a record that is a piece of a longer line.</summary>
    public const string CutMarker = LineCap.CutMarker;

    private readonly ConcurrentDictionary<string, ILogger> _loggers = new(StringComparer.Ordinal);
    private readonly LockedMap<List<byte>> _partial = new();

    /// <summary>Lowest level the factory wants for a context, copied to the child so it sends nothing filtered.</summary>
    public LogLevel MinimumLevel(string contextName)
    {
        if (factory is null)
        {
            return LogLevel.Information;
        }

        ILogger logger = Logger(contextName + ".log");
        for (LogLevel level = LogLevel.Trace; level < LogLevel.None; level++)
        {
            if (logger.IsEnabled(level))
            {
                return level;
            }
        }

        return LogLevel.None;
    }

    public void OnStdio(int contextId, string contextName, ReadOnlySpan<byte> payload)
    {
        if (payload.Length < 1)
        {
            return;
        }

        byte stream = payload[0];
        if (stream is not (StdoutStream or StderrStream))
        {
            // Each stream number gets a buffer of its own, and only these two are ever flushed.
            throw new Wire.ProtocolViolationException($"STDIO for stream {stream}, which is neither stdout ({StdoutStream}) nor stderr ({StderrStream})");
        }

        List<byte> partial = _partial.GetOrAdd(MapKey.Of(contextId, stream), static _ => []);
        lock (partial)
        {
            ReadOnlySpan<byte> rest = payload[1..];
            while (true)
            {
                int newline = rest.IndexOf((byte)'\n');
                ReadOnlySpan<byte> text = newline < 0 ? rest : rest[..newline];
                while (partial.Count + text.Length > MaxLineBytes)
                {
                    int take = LineCap.CutPoint(partial.Count, text);
                    partial.AddRange(text[..take]);
                    text = text[take..];
                    EmitLine(contextName, stream, partial, cut: true);
                    partial.Clear();
                }

                partial.AddRange(text);
                if (newline < 0)
                {
                    return;
                }

                EmitLine(contextName, stream, partial, cut: false);
                partial.Clear();
                rest = rest[(newline + 1)..];
            }
        }
    }

    public void OnLog(string contextName, LogLevel level, int eventId, string category, string message, string exception)
    {
        if (factory is null)
        {
            string text = exception.Length > 0 ? message + Environment.NewLine + exception : message;
            Console.Error.WriteLine($"[{contextName}] {level} {category}: {text}");
            return;
        }

        ILogger logger = Logger(contextName + "." + category);
        if (exception.Length > 0)
        {
            logger.Log(level, new EventId(eventId), "{Message}" + Environment.NewLine + "{RemoteException}", message, exception);
        }
        else
        {
            logger.Log(level, new EventId(eventId), "{Message}", message);
        }
    }

    /// <summary>A line the transport itself printed on stderr after the context started.</summary>
    public void OnTransportLine(string contextName, string line)
    {
        if (factory is null)
        {
            Console.Error.WriteLine($"[{contextName}] {line}");
            return;
        }

        Logger(contextName + ".transport").LogWarning("{Line}", line);
    }

    /// <summary>Emits what is left of unfinished lines once a context is gone.</summary>
    public void Flush(int contextId, string contextName)
    {
        foreach (byte stream in (ReadOnlySpan<byte>)[StdoutStream, StderrStream])
        {
            if (_partial.TryRemove(MapKey.Of(contextId, stream), out List<byte>? partial))
            {
                lock (partial)
                {
                    if (partial.Count > 0)
                    {
                        EmitLine(contextName, stream, partial, cut: false);
                    }
                }
            }
        }
    }

    private void EmitLine(string contextName, byte stream, List<byte> bytes, bool cut)
    {
        int length = bytes.Count;
        if (!cut && length > 0 && bytes[length - 1] == (byte)'\r')
        {
            length--;
        }

        string line = Encoding.UTF8.GetString(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes)[..length]);
        if (cut)
        {
            line += CutMarker;
        }

        if (factory is null)
        {
            Console.Error.WriteLine($"[{contextName}] {line}");
            return;
        }

        if (stream == StderrStream)
        {
            Logger(contextName + ".stderr").LogWarning("{Line}", line);
        }
        else
        {
            Logger(contextName + ".stdout").LogInformation("{Line}", line);
        }
    }

    private ILogger Logger(string category) => _loggers.GetOrAdd(category, c => factory!.CreateLogger(c));
}
