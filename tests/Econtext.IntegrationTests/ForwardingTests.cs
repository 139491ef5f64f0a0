using Microsoft.Extensions.Logging;

namespace Econtext.IntegrationTests;

/// <summary>A child's stdout, stderr (its own and its processes') and log records reach the master's logger factory.</summary>
public sealed class ForwardingTests(ChildFixture fixture) : IClassFixture<ChildFixture>
{
    private readonly Context _ctx = fixture.Context;
    private readonly CapturingLoggerProvider _logs = fixture.Logs;

    [Fact(Timeout = 60000)]
    public async Task Console_WriteLine_arrives_as_stdout_information()
    {
        string line = "stdout line " + Guid.NewGuid();
        Task<LogEntry> arrived = _logs.WaitForLineAsync(_ctx.Name + ".stdout", line);

        await _ctx.CallAsync(() => Output.Stdout(line)).WaitAsync(Bound);

        LogEntry entry = await arrived.WaitAsync(Bound);
        Assert.Equal(LogLevel.Information, entry.Level);
    }

    [Fact(Timeout = 60000)]
    public async Task Console_Error_arrives_as_stderr_warning()
    {
        string line = "stderr line " + Guid.NewGuid();
        Task<LogEntry> arrived = _logs.WaitForLineAsync(_ctx.Name + ".stderr", line);

        await _ctx.CallAsync(() => Output.Stderr(line)).WaitAsync(Bound);

        LogEntry entry = await arrived.WaitAsync(Bound);
        Assert.Equal(LogLevel.Warning, entry.Level);
    }

    [Fact(Timeout = 60000)]
    public async Task Output_of_a_process_the_child_starts_is_captured_on_fd_1()
    {
        string line = "from /bin/echo " + Guid.NewGuid();
        Task<LogEntry> arrived = _logs.WaitForLineAsync(_ctx.Name + ".stdout", line);

        Assert.Equal(0, await _ctx.CallAsync(() => Output.EchoProcess(line)).WaitAsync(Bound));

        LogEntry entry = await arrived.WaitAsync(Bound);
        Assert.Equal(LogLevel.Information, entry.Level);
    }

    [Fact(Timeout = 60000)]
    public async Task Stderr_of_a_process_the_child_starts_is_captured_on_fd_2()
    {
        string line = "from sh on fd 2 " + Guid.NewGuid();
        Task<LogEntry> arrived = _logs.WaitForLineAsync(_ctx.Name + ".stderr", line);

        Assert.Equal(0, await _ctx.CallAsync(() => Output.ShellToStderr(line)).WaitAsync(Bound));

        LogEntry entry = await arrived.WaitAsync(Bound);
        Assert.Equal(LogLevel.Warning, entry.Level);
    }

    [Fact(Timeout = 60000)]
    public async Task Logger_records_arrive_under_the_context_name_with_their_level()
    {
        string message = "log record " + Guid.NewGuid();
        Task<LogEntry> warning = _logs.WaitForAsync(e => e.Message == message + " w");
        Task<LogEntry> debug = _logs.WaitForAsync(e => e.Message == message + " d");

        await _ctx.CallAsync(() => Output.Log("Inventory.Scanner", LogLevel.Warning, message + " w")).WaitAsync(Bound);
        await _ctx.CallAsync(() => Output.Log("Inventory.Scanner", LogLevel.Debug, message + " d")).WaitAsync(Bound);

        LogEntry w = await warning.WaitAsync(Bound);
        Assert.Equal(_ctx.Name + ".Inventory.Scanner", w.Category);
        Assert.Equal(LogLevel.Warning, w.Level);
        Assert.Equal(7, w.EventId.Id);
        LogEntry d = await debug.WaitAsync(Bound);
        Assert.Equal(LogLevel.Debug, d.Level);
        Assert.Equal(_ctx.Name + ".Inventory.Scanner", d.Category);
    }

    [Fact(Timeout = 60000)]
    public async Task Structured_log_messages_arrive_formatted()
    {
        string item = "disk-" + Guid.NewGuid();
        Task<LogEntry> arrived = _logs.WaitForAsync(e => e.Category == _ctx.Name + ".Structured" && e.Message.Contains(item, StringComparison.Ordinal));

        await _ctx.CallAsync(() => Output.LogStructured("Structured", item, 3)).WaitAsync(Bound);

        LogEntry entry = await arrived.WaitAsync(Bound);
        Assert.Equal($"collected {item} x3", entry.Message);
        Assert.Equal(LogLevel.Information, entry.Level);
    }

    [Fact(Timeout = 60000)]
    public async Task Logged_exceptions_arrive_with_the_record()
    {
        string message = "failed scan " + Guid.NewGuid();
        Task<LogEntry> arrived = _logs.WaitForAsync(e => e.Category == _ctx.Name + ".Errors" && e.Message.Contains(message, StringComparison.Ordinal));

        await _ctx.CallAsync(() => Output.LogException("Errors", message)).WaitAsync(Bound);

        LogEntry entry = await arrived.WaitAsync(Bound);
        Assert.Equal(LogLevel.Error, entry.Level);
        Assert.Contains("System.IO.InvalidDataException", entry.Message, StringComparison.Ordinal);
        Assert.Contains("bad data in " + message, entry.Message, StringComparison.Ordinal);
    }

    [Fact(Timeout = 60000)]
    public async Task Protocol_looking_garbage_on_stdout_does_not_corrupt_the_protocol()
    {
        string marker = "after garbage " + Guid.NewGuid();
        Task<LogEntry> arrived = _logs.WaitForLineAsync(_ctx.Name + ".stdout", marker);

        await _ctx.CallAsync(() => Output.ProtocolGarbage(marker)).WaitAsync(Bound);
        await arrived.WaitAsync(Bound);

        Assert.Null(_ctx.DisconnectReason);
        Assert.False(_ctx.Disconnected.IsCancellationRequested);
        byte[] data = new byte[100_000];
        new Random(5).NextBytes(data);
        Assert.Equal(Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(data)), await _ctx.CallAsync(() => Echo.Sha256(data)).WaitAsync(Bound));
        Assert.Equal(0, fixture.Router.Statistics.MessagesDropped);
    }

    [Fact(Timeout = 60000)]
    public async Task Many_stdout_lines_from_concurrent_calls_arrive_whole_and_once()
    {
        string prefix = "ordered " + Guid.NewGuid() + " ";

        for (int i = 0; i < 200; i++)
        {
            int n = i;
            _ctx.CallNoReply(() => Output.Stdout(prefix + n));
        }

        // Calls run concurrently in the child, so lines may come in any order, but each arrives whole and once.
        await Task.WhenAll(Enumerable.Range(0, 200).Select(i => _logs.WaitForLineAsync(_ctx.Name + ".stdout", prefix + i))).WaitAsync(Bound);
        List<string> lines = [.. _logs.Entries.Where(e => e.Category == _ctx.Name + ".stdout" && e.Message.StartsWith(prefix, StringComparison.Ordinal)).Select(e => e.Message)];
        Assert.Equal(Enumerable.Range(0, 200).Select(i => prefix + i).Order(StringComparer.Ordinal), lines.Order(StringComparer.Ordinal));
    }

    [Fact(Timeout = 60000)]
    public async Task Records_below_the_masters_minimum_level_are_not_sent()
    {
        // The master's loggers say Warning and up; they would still capture a lower record sent anyway.
        var logs = new CapturingLoggerProvider { EnabledFrom = LogLevel.Warning };
        using ILoggerFactory factory = logs.CreateUnfilteredFactory();
        await using var router = new Router(new RouterOptions { LoggerFactory = factory });
        Context ctx = await router.LocalAsync(new LocalOptions { Name = "filtered" }).WaitAsync(Bound);
        string message = "level " + Guid.NewGuid();
        Task<LogEntry> warning = logs.WaitForAsync(e => e.Message == message + " warning");

        await ctx.CallAsync(() => Output.Log("Filter", LogLevel.Information, message + " information")).WaitAsync(Bound);
        await ctx.CallAsync(() => Output.Log("Filter", LogLevel.Warning, message + " warning")).WaitAsync(Bound);

        LogEntry entry = await warning.WaitAsync(Bound);
        Assert.Equal("filtered.Filter", entry.Category);
        // Records travel in order on one stream, so the information record would have arrived first.
        Assert.DoesNotContain(logs.Entries, e => e.Message == message + " information");
    }
}
