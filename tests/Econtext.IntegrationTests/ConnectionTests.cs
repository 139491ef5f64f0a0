namespace Econtext.IntegrationTests;

/// <summary>Contexts that cannot start fail with a ConnectionException that says why.</summary>
public sealed class ConnectionTests
{
    // An explicit DotnetPath is used or reported, never replaced by another runtime. (A target with no
    // runtime anywhere is produced for real in TransportTests, over ssh into a chroot without .NET.)
    [Fact(Timeout = 60000)]
    public async Task Missing_runtime_is_reported_as_RuntimeNotFound()
    {
        await using var router = new Router();
        var options = new LocalOptions
        {
            Name = "no-runtime",
            DotnetPath = "/nonexistent/dotnet",
            Environment = new Dictionary<string, string> { ["PATH"] = "/usr/bin:/bin", ["DOTNET_ROOT"] = "/nonexistent", ["HOME"] = "/nonexistent" },
        };

        ConnectionException ex = await Assert.ThrowsAsync<ConnectionException>(() => router.LocalAsync(options)).WaitAsync(Bound);

        Assert.Equal(ConnectionFailure.RuntimeNotFound, ex.Kind);
        Assert.Equal("no-runtime", ex.ContextName);
        Assert.Contains("/nonexistent/dotnet", ex.Message, StringComparison.Ordinal);
        Assert.Contains("is not an executable file", ex.Message, StringComparison.Ordinal);
        Assert.Contains("DotnetPath", ex.Message, StringComparison.Ordinal);
    }

    [Fact(Timeout = 60000)]
    public async Task Runtime_host_that_exits_at_once_is_reported_with_its_output()
    {
        await using var router = new Router();
        var options = new LocalOptions { Name = "false-host", DotnetPath = "/bin/false" };

        ConnectionException ex = await Assert.ThrowsAsync<ConnectionException>(() => router.LocalAsync(options)).WaitAsync(Bound);

        Assert.Equal(ConnectionFailure.TransportExited, ex.Kind);
        Assert.Equal("false-host", ex.ContextName);
        Assert.Contains("exited with code 1", ex.Message, StringComparison.Ordinal);
        Assert.NotNull(ex.TransportOutput);
        Assert.Empty(router.Contexts);
    }

    [Fact(Timeout = 60000)]
    public async Task What_the_runtime_host_printed_is_quoted_in_the_exception()
    {
        string script = Path.Combine(Path.GetTempPath(), "econtext-test-host-" + Guid.NewGuid().ToString("N") + ".sh");
        string said = "broken host says " + Guid.NewGuid();
        await File.WriteAllTextAsync(script, "#!/bin/sh\necho '" + said + "' >&2\nexit 3\n");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        try
        {
            await using var router = new Router();
            ConnectionException ex = await Assert.ThrowsAsync<ConnectionException>(
                () => router.LocalAsync(new LocalOptions { Name = "broken-host", DotnetPath = script })).WaitAsync(Bound);

            Assert.Equal(ConnectionFailure.TransportExited, ex.Kind);
            Assert.Equal("broken-host", ex.ContextName);
            Assert.Contains(said, ex.TransportOutput);
            Assert.Contains(said, ex.Message, StringComparison.Ordinal);
            Assert.Contains("exited with code 3", ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(script);
        }
    }

    [Fact(Timeout = 60000)]
    public async Task Connect_can_be_cancelled_by_the_caller()
    {
        await using var router = new Router();
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => router.LocalAsync(new LocalOptions { Name = "cancelled" }, cts.Token)).WaitAsync(Bound);
        Assert.Empty(router.Contexts);
    }
}
