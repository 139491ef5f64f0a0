using System.Buffers.Binary;
using System.CommandLine;
using System.Net.Sockets;
using System.Text;
using Econtext.Cli.Agent.Client;
using Econtext.Cli.Commands;
using Econtext.Cli.Running;
using Spectre.Console;

namespace Econtext.Cli.Agent;

/// <summary>
/// One client's command in the agent: checks who connected, reads the request, and runs the command in a
/// <see cref="CliSession"/> of the client's (its output, directory, environment, terminal, prompt) with the
/// agent's warm contexts, until the exit code is sent. A Cancel frame, or the connection's end, cancels it.
/// </summary>
internal sealed class AgentSession(AgentServer server, Socket socket)
{
    /// <summary>How long a connected client may take to send its request.</summary>
    private static readonly TimeSpan s_requestTimeout = TimeSpan.FromSeconds(10);

    private readonly CancellationTokenSource _cancel = new();
    private TaskCompletionSource<string?>? _answer;

    public async Task RunAsync()
    {
        using (socket)
        {
            PeerCredentials peer;
            try
            {
                peer = PeerCredentials.Of(socket);
            }
            catch (Exception ex) when (ex is AgentException or SocketException)
            {
                AgentServer.Log("refused a connection: " + ex.Message);
                return;
            }

            if (peer.UserId != UnixCalls.UserId)
            {
                // The directory's mode keeps others out; this is the second lock, should it ever be opened.
                AgentServer.Log($"refused a connection from pid {peer.ProcessId}, uid {peer.UserId}: only uid {UnixCalls.UserId} is served");
                return;
            }

            await using var stream = new NetworkStream(socket, ownsSocket: false);
            var frames = new AgentFrameWriter(stream);
            AgentRequest request;
            try
            {
                using var bound = new CancellationTokenSource(s_requestTimeout);
                if (await AgentFrames.ReadAsync(stream, bound.Token).ConfigureAwait(false) is not (AgentFrameKind.Request, byte[] payload))
                {
                    return;
                }

                request = AgentRequest.FromJson(payload);
            }
            catch (Exception ex) when (ex is IOException or InvalidDataException or OperationCanceledException)
            {
                AgentServer.Log("dropped a connection without a request: " + ex.Message);
                return;
            }

            if (request.Identity != server.Identity)
            {
                AgentServer.Log($"a client of another build came ({request.Identity}; this is {server.Identity})");
                await TrySendAsync(frames, AgentFrameKind.Refused, Encoding.UTF8.GetBytes(server.Identity)).ConfigureAwait(false);
                server.Stop("a client of another build needs its own agent");
                return;
            }

            server.CommandStarted();
            try
            {
                Task reading = ReadControlAsync(stream);
                int code = await RunCommandAsync(request, frames).ConfigureAwait(false);
                byte[] exit = new byte[4];
                BinaryPrimitives.WriteInt32LittleEndian(exit, code);
                await TrySendAsync(frames, AgentFrameKind.Exit, exit).ConfigureAwait(false);
                socket.Shutdown(SocketShutdown.Send);
                await reading.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
            catch (SocketException)
            {
                // The client went away after its command ended.
            }
            finally
            {
                server.CommandEnded();
            }
        }
    }

    private static async Task TrySendAsync(AgentFrameWriter frames, AgentFrameKind kind, byte[] payload)
    {
        try
        {
            await frames.WriteAsync(kind, payload).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or SocketException)
        {
            // The client is gone; nothing to tell it.
        }
    }

    private async Task<int> RunCommandAsync(AgentRequest request, AgentFrameWriter frames)
    {
        if (AgentCommandLine.ExplicitPersist(request.Args, name => request.Environment.GetValueOrDefault(name)) is TimeSpan persist && persist > TimeSpan.Zero)
        {
            server.Persist = persist;
        }

        var output = new FrameTextWriter(frames, AgentFrameKind.Stdout);
        var error = new FrameTextWriter(frames, AgentFrameKind.Stderr);
        CliSession.Current = new CliSession
        {
            Out = output,
            Error = error,
            Console = ConsoleFor(request, output),
            OutputIsTerminal = request.OutputIsTerminal,
            WorkingDirectory = request.WorkingDirectory,
            Variables = request.Environment,
            ReadPassword = prompt => Ask(frames, prompt),
            OpenContexts = settings => new WarmContexts(server.Router, server.Pool, settings, server.Salt),
            Agent = server,
        };

        // No ProcessTerminationTimeout: the agent's own signals are not the command's; the client's Ctrl-C arrives as a frame.
        var invocation = new InvocationConfiguration { Output = output, Error = error, ProcessTerminationTimeout = null };
        try
        {
            return await EcontextCli.Build().Parse([.. request.Args], EcontextCli.Parsing).InvokeAsync(invocation, _cancel.Token).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            AgentServer.Log($"{request}: {ex}");
            error.WriteLine("econtext: the agent failed to run the command: " + ex.Message);
            return CommandErrors.Failed;
        }
    }

    private static IAnsiConsole ConsoleFor(AgentRequest request, TextWriter output)
    {
        bool colour = request.OutputIsTerminal && !request.Environment.ContainsKey("NO_COLOR");
        IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = request.OutputIsTerminal ? AnsiSupport.Yes : AnsiSupport.No,
            ColorSystem = colour ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = request.OutputIsTerminal ? InteractionSupport.Yes : InteractionSupport.No,
            Out = new AnsiConsoleOutput(output),
            EnvironmentVariables = request.Environment.ToDictionary(),
        });

        // As Spectre sizes this process's own console: the terminal's width, 80 when it is not a terminal.
        console.Profile.Width = request.Width > 0 ? request.Width : 80;
        console.Profile.Capabilities.Ansi = request.OutputIsTerminal;
        console.Profile.Capabilities.Interactive = request.OutputIsTerminal;
        return console;
    }

    /// <summary>Asks the client to read a password on its terminal, and waits for the answer or the end of the command.</summary>
    private string Ask(AgentFrameWriter frames, string prompt)
    {
        var answer = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        _answer = answer;
        frames.Write(AgentFrameKind.Prompt, Encoding.UTF8.GetBytes(prompt));
        using CancellationTokenRegistration cancelled = _cancel.Token.Register(() => answer.TrySetCanceled(_cancel.Token));
        return answer.Task.GetAwaiter().GetResult() ?? throw new UsageException(PasswordPrompt.NoTerminal);
    }

    /// <summary>The client's side of a running command: Cancel frames and prompt answers; its end cancels the command.</summary>
    private async Task ReadControlAsync(NetworkStream stream)
    {
        try
        {
            while (await AgentFrames.ReadAsync(stream, CancellationToken.None).ConfigureAwait(false) is var (kind, payload))
            {
                if (kind == AgentFrameKind.Cancel)
                {
                    await _cancel.CancelAsync().ConfigureAwait(false);
                }
                else if (kind == AgentFrameKind.Answer)
                {
                    _answer?.TrySetResult(payload.Length > 0 && payload[0] == 1 ? Encoding.UTF8.GetString(payload, 1, payload.Length - 1) : null);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or ObjectDisposedException or SocketException)
        {
            // Treated as the end below.
        }

        await _cancel.CancelAsync().ConfigureAwait(false);
    }
}
