using System.Diagnostics;

namespace Econtext.TransportTests.Infrastructure;

/// <summary>What every transport test class shares, whatever its fixture: the output, bounded starts and failure checks.</summary>
public abstract class ConnectionTest
{
    /// <summary>ConnectTimeout of every context the tests start: generous (a good start takes 1-3 s), and short enough that a hung transport does not eat the run.</summary>
    protected static readonly TimeSpan Connect = TimeSpan.FromSeconds(15);

    protected ConnectionTest(ITestOutputHelper output)
    {
        Output = output;
    }

    protected ITestOutputHelper Output { get; }

    /// <summary>Starting the context must fail with <paramref name="kind"/>; the exception is logged to the test output.</summary>
    protected async Task<ConnectionException> ExpectFailureAsync(ConnectionFailure kind, Func<Task<Context>> start, params string[] secrets)
    {
        var clock = Stopwatch.StartNew();
        Exception? thrown = null;
        try
        {
            Context context = await start().WaitAsync(Bound);
            Assert.Fail($"{context.Name} started, but {kind} was expected");
        }
        catch (Exception ex) when (ex is not Xunit.Sdk.XunitException)
        {
            thrown = ex;
        }

        Output.WriteLine($"after {clock.Elapsed.TotalSeconds:0.00} s: {thrown.GetType().Name}");
        Output.WriteLine(thrown.Message);
        ConnectionException connection = Assert.IsType<ConnectionException>(thrown);
        Output.WriteLine($"Kind: {connection.Kind}; ContextName: {connection.ContextName}; TransportOutput:");
        foreach (string line in connection.TransportOutput)
        {
            Output.WriteLine("  | " + line);
        }

        Assert.True(connection.Kind == kind, $"expected {kind}, got {connection.Kind}: {connection.Message}");
        Assert.False(string.IsNullOrWhiteSpace(connection.ContextName));
        AssertNoSecret(connection, secrets);
        return connection;
    }

    /// <summary>Starts a context; if it neither starts nor fails within <see cref="TestBounds.Bound"/>, fails the test saying so.</summary>
    protected static async Task<Context> StartAsync(Func<Task<Context>> start, string what)
    {
        try
        {
            return await start().WaitAsync(Bound);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"{what} neither started nor failed within {Bound.TotalSeconds} s (ConnectTimeout {Connect.TotalSeconds} s)");
            throw;
        }
    }

    /// <summary>No password in the exception's message, the transport output it kept, or anything it wraps.</summary>
    protected static void AssertNoSecret(ConnectionException ex, params string[] secrets)
    {
        foreach (string secret in secrets)
        {
            Assert.DoesNotContain(secret, ex.ToString(), StringComparison.Ordinal);
            Assert.DoesNotContain(ex.TransportOutput, line => line.Contains(secret, StringComparison.Ordinal));
        }
    }

    /// <summary>The message quotes the transport's words (<paramref name="said"/>).</summary>
    protected static void AssertQuotes(ConnectionException ex, string said) =>
        Assert.True(ex.Message.Contains(said, StringComparison.Ordinal), $"the message does not quote \"{said}\": {ex.Message}");
}
