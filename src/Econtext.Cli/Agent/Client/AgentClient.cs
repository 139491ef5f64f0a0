using System.Buffers.Binary;
using System.Collections;
using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;

namespace Econtext.Cli.Agent.Client;

/// <summary>
/// The econtext command as people type it, when the agent runs it: connect to this user's agent (starting it
/// when it is not there, or when it is another build's), send the command line and where it was typed, then
/// copy its output here until it says the exit code. Ctrl-C (SIGINT), SIGTERM and SIGHUP are sent on as a
/// cancel; a second one leaves at once (the agent cancels what is left when the connection ends). Written
/// for Native AOT: no reflection, nothing outside the base library.
/// </summary>
internal static class AgentClient
{
    /// <summary>Ansible's exit code for a user interrupt, as the command in the agent gives it; a second Ctrl-C leaves with it at once.</summary>
    public const int UserInterruptExitCode = 99;

    /// <summary>How long a started agent may take to listen before the client gives up.</summary>
    private static readonly TimeSpan s_startTimeout = TimeSpan.FromSeconds(30);

    public static async Task<int> RunAsync(IReadOnlyList<string> args, AgentMode mode, TimeSpan persist, AgentLaunch launch)
    {
        try
        {
            var directory = AgentDirectory.Locate(Environment.GetEnvironmentVariable);
            directory.Prepare();
            for (int attempt = 0; ; attempt++)
            {
                Socket? socket = await TryConnectAsync(directory).ConfigureAwait(false);
                if (socket is null)
                {
                    if (mode != AgentMode.Agent)
                    {
                        Console.Out.WriteLine($"no agent is running (its socket would be {directory.Socket})");
                        return 0;
                    }

                    socket = await StartAsync(directory, launch, persist).ConfigureAwait(false);
                }

                int? code = await TalkAsync(socket, args, launch, directory).ConfigureAwait(false);
                if (code is int exit)
                {
                    return exit;
                }

                if (mode != AgentMode.Agent)
                {
                    // Refusing a client of another build stops an agent: for stop, that is the answer; for status, there is none left.
                    Console.Out.WriteLine("the agent running was of another build of econtext; it is stopping, with every context it kept");
                    return 0;
                }

                // The agent was another build's and is stopping: once more, with one of this build.
                if (attempt > 0)
                {
                    throw new AgentException("the agent is of another build and did not make way for this one; stop it (econtext agent stop) and try again");
                }

                await WaitGoneAsync(directory).ConfigureAwait(false);
            }
        }
        catch (AgentException ex)
        {
            Console.Error.WriteLine("econtext: " + ex.Message);
            return 1;
        }
    }

    /// <summary>The command's exit code, or null when the agent refused it as another build's.</summary>
    private static async Task<int?> TalkAsync(Socket socket, IReadOnlyList<string> args, AgentLaunch launch, AgentDirectory directory)
    {
        using var stream = new NetworkStream(socket, ownsSocket: true);
        PeerCredentials peer = PeerCredentials.Of(socket);
        if (peer.UserId != UnixCalls.UserId)
        {
            throw new AgentException($"the process at {directory.Socket} (pid {peer.ProcessId}) runs as uid {peer.UserId}, not as you (uid {UnixCalls.UserId}); refusing to talk to it");
        }

        var writer = new AgentFrameWriter(stream);
        var request = new AgentRequest
        {
            Identity = launch.Identity,
            Args = args,
            WorkingDirectory = Environment.CurrentDirectory,
            Environment = Variables(),
            OutputIsTerminal = !Console.IsOutputRedirected,
            ErrorIsTerminal = !Console.IsErrorRedirected,
            InputIsTerminal = !Console.IsInputRedirected,
            Width = Console.IsOutputRedirected ? 0 : SafeWidth(),
        };
        await writer.WriteAsync(AgentFrameKind.Request, request.ToJson()).ConfigureAwait(false);

        int interrupts = 0;
        var leave = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnSignal(PosixSignalContext context)
        {
            context.Cancel = true;
            if (Interlocked.Increment(ref interrupts) == 1)
            {
                _ = writer.WriteAsync(AgentFrameKind.Cancel, ReadOnlyMemory<byte>.Empty).ContinueWith(static _ => { }, TaskScheduler.Default);
            }
            else
            {
                leave.TrySetResult(UserInterruptExitCode);
            }
        }

        using PosixSignalRegistration interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using PosixSignalRegistration terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        using PosixSignalRegistration hangUp = PosixSignalRegistration.Create(PosixSignal.SIGHUP, OnSignal);

        Task<int?> relay = RelayAsync(stream, writer, peer, directory);
        Task done = await Task.WhenAny(relay, leave.Task).ConfigureAwait(false);
        return done == relay ? await relay.ConfigureAwait(false) : await leave.Task.ConfigureAwait(false);
    }

    private static async Task<int?> RelayAsync(NetworkStream stream, AgentFrameWriter writer, PeerCredentials peer, AgentDirectory directory)
    {
        using Stream stdout = Console.OpenStandardOutput();
        using Stream stderr = Console.OpenStandardError();
        while (true)
        {
            (AgentFrameKind Kind, byte[] Payload)? frame;
            try
            {
                frame = await AgentFrames.ReadAsync(stream, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or InvalidDataException)
            {
                frame = null;
            }

            switch (frame)
            {
                case null:
                    throw new AgentException($"the agent (pid {peer.ProcessId}) went away before the command ended; its log is {directory.LogFile}");
                case (AgentFrameKind.Stdout, byte[] bytes):
                    Write(stdout, bytes);
                    break;
                case (AgentFrameKind.Stderr, byte[] bytes):
                    Write(stderr, bytes);
                    break;
                case (AgentFrameKind.Prompt, byte[] prompt):
                    string? typed = await Task.Run(() => TerminalPassword.Read(Encoding.UTF8.GetString(prompt))).ConfigureAwait(false);
                    byte[] answer = typed is null ? [0] : [1, .. Encoding.UTF8.GetBytes(typed)];
                    await writer.WriteAsync(AgentFrameKind.Answer, answer).ConfigureAwait(false);
                    break;
                case (AgentFrameKind.Exit, byte[] code) when code.Length == 4:
                    return BinaryPrimitives.ReadInt32LittleEndian(code);
                case (AgentFrameKind.Refused, _):
                    return null;
                default:
                    throw new AgentException($"the agent (pid {peer.ProcessId}) sent a frame this client does not know ({frame.Value.Kind}); stop it with econtext agent stop");
            }
        }
    }

    private static void Write(Stream stream, byte[] bytes)
    {
        try
        {
            stream.Write(bytes);
            stream.Flush();
        }
        catch (IOException)
        {
            // The reader went away (a closed pipe, as `| head` does): the rest has nowhere to go.
        }
    }

    private static async Task<Socket?> TryConnectAsync(AgentDirectory directory)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(directory.Socket)).ConfigureAwait(false);
            return socket;
        }
        catch (SocketException)
        {
            socket.Dispose();
            return null;
        }
    }

    /// <summary>Starts the agent, detached, its output to its log, and waits until it listens.</summary>
    private static async Task<Socket> StartAsync(AgentDirectory directory, AgentLaunch launch, TimeSpan persist)
    {
        if (!File.Exists(launch.Assembly))
        {
            throw new AgentException($"cannot start the agent: {launch.Assembly} does not exist. Set {AgentLaunch.AssemblyVariable} to the econtext tool's Econtext.Cli.dll, or run without the agent (--no-agent).");
        }

        // One generation of the log is kept: each agent appends to it, and it must not grow without end.
        try
        {
            if (new FileInfo(directory.LogFile) is { Exists: true, Length: > 1024 * 1024 })
            {
                File.Move(directory.LogFile, directory.LogFile + ".1", overwrite: true);
            }
        }
        catch (IOException)
        {
            // Another client moved it first.
        }

        var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        foreach (string word in (string[])["-c", "exec \"$@\" </dev/null >>\"$ECONTEXT_AGENT_LOG\" 2>&1", "sh", launch.Program, .. launch.PrefixArgs, "agent", "serve", "--persist", AgentCommandLine.Format(persist)])
        {
            start.ArgumentList.Add(word);
        }

        start.Environment["ECONTEXT_AGENT_LOG"] = directory.LogFile;
        using Process agent = Process.Start(start) ?? throw new AgentException("cannot start the agent: /bin/sh did not start");
        long started = Stopwatch.GetTimestamp();
        int pause = 2;
        while (Stopwatch.GetElapsedTime(started) < s_startTimeout)
        {
            if (await TryConnectAsync(directory).ConfigureAwait(false) is Socket socket)
            {
                return socket;
            }

            // Exit code 0: another client's agent won the start; keep knocking on its socket.
            if (agent.HasExited && agent.ExitCode != 0)
            {
                throw new AgentException($"the agent did not start (exit code {agent.ExitCode}): {LastLines(directory.LogFile)}. Run without it with --no-agent.");
            }

            await Task.Delay(pause).ConfigureAwait(false);
            pause = Math.Min(pause * 2, 50);
        }

        throw new AgentException($"the agent did not listen on {directory.Socket} within {s_startTimeout.TotalSeconds:0} s; its log is {directory.LogFile}. Run without it with --no-agent.");
    }

    /// <summary>Waits for a stopping agent of another build to leave its socket.</summary>
    private static async Task WaitGoneAsync(AgentDirectory directory)
    {
        long started = Stopwatch.GetTimestamp();
        while (File.Exists(directory.Socket) && Stopwatch.GetElapsedTime(started) < s_startTimeout)
        {
            await Task.Delay(10).ConfigureAwait(false);
        }
    }

    private static string LastLines(string log)
    {
        try
        {
            string[] lines = File.ReadAllLines(log);
            return string.Join(" / ", lines.TakeLast(3));
        }
        catch (IOException)
        {
            return "its log " + log + " cannot be read";
        }
    }

    private static int SafeWidth()
    {
        try
        {
            return Console.WindowWidth;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    private static Dictionary<string, string> Variables()
    {
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            variables[(string)entry.Key] = (string?)entry.Value ?? string.Empty;
        }

        return variables;
    }
}
