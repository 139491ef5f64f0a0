namespace Econtext.IntegrationTests;

/// <summary>Exceptions thrown in a context arrive with type, message, stack, inner exceptions and context name.</summary>
public sealed class RemoteExceptionTests(ChildFixture fixture) : IClassFixture<ChildFixture>
{
    private readonly Context _ctx = fixture.Context;

    [Fact(Timeout = 60000)]
    public async Task Type_message_stack_inner_and_context_are_kept()
    {
        string message = "outer failure " + Guid.NewGuid();

        RemoteException ex = await Assert.ThrowsAsync<RemoteException>(() => _ctx.CallAsync(() => Failing.ThrowsWithInner(message))).WaitAsync(Bound);

        Assert.Equal("System.InvalidOperationException", ex.RemoteType);
        Assert.Equal(message, ex.Message);
        Assert.Equal(_ctx.Name, ex.ContextName);
        Assert.NotNull(ex.RemoteStackTrace);
        Assert.Contains(nameof(Failing.ThrowsWithInner), ex.RemoteStackTrace, StringComparison.Ordinal);
        Assert.Equal(ex.RemoteStackTrace, ex.StackTrace);

        RemoteException inner = Assert.IsType<RemoteException>(ex.InnerException);
        Assert.Equal("System.IO.FileNotFoundException", inner.RemoteType);
        Assert.Equal("inner: the file is missing", inner.Message);
        Assert.Equal(_ctx.Name, inner.ContextName);
        Assert.Contains("OpenMissingFile", inner.RemoteStackTrace, StringComparison.Ordinal);
        Assert.Null(inner.InnerException);

        string text = ex.ToString();
        Assert.Contains("System.InvalidOperationException", text, StringComparison.Ordinal);
        Assert.Contains("System.IO.FileNotFoundException", text, StringComparison.Ordinal);
        Assert.Contains(_ctx.Name, text, StringComparison.Ordinal);
    }

    [Fact(Timeout = 60000)]
    public async Task Application_exception_thrown_after_an_await_keeps_its_type_and_stack()
    {
        RemoteException ex = await Assert.ThrowsAsync<RemoteException>(() => _ctx.CallAsync(() => Failing.ThrowsAfterAwaitAsync("async boom"))).WaitAsync(Bound);

        Assert.Equal(typeof(InventoryFailedException).FullName, ex.RemoteType);
        Assert.Equal("async boom", ex.Message);
        Assert.Contains(nameof(Failing.ThrowsAfterAwaitAsync), ex.RemoteStackTrace, StringComparison.Ordinal);
        Assert.Equal(_ctx.Name, ex.ContextName);
    }

    [Fact(Timeout = 60000)]
    public async Task Aggregate_exception_keeps_every_inner_exception()
    {
        RemoteException ex = await Assert.ThrowsAsync<RemoteException>(() => _ctx.CallAsync(() => Failing.ThrowsAggregate())).WaitAsync(Bound);

        Assert.Equal("System.AggregateException", ex.RemoteType);
        Assert.StartsWith("several things failed", ex.Message, StringComparison.Ordinal);
        RemoteException first = Assert.IsType<RemoteException>(ex.InnerException);
        Assert.Equal("System.ArgumentException", first.RemoteType);
        Assert.Equal("first failure", first.Message);
        RemoteException second = Assert.Single(ex.OtherInnerExceptions);
        Assert.Equal("System.TimeoutException", second.RemoteType);
        Assert.Equal("second failure", second.Message);
    }

    [Fact(Timeout = 60000)]
    public async Task Void_method_failure_reaches_the_caller()
    {
        RemoteException ex = await Assert.ThrowsAsync<RemoteException>(() => _ctx.CallAsync(() => Failing.VoidThrows("void failed"))).WaitAsync(Bound);

        Assert.Equal("System.NotSupportedException", ex.RemoteType);
        Assert.Equal("void failed", ex.Message);
        Assert.Contains(nameof(Failing.VoidThrows), ex.RemoteStackTrace, StringComparison.Ordinal);
    }

    [Fact(Timeout = 60000)]
    public async Task Context_keeps_working_after_a_failure()
    {
        await Assert.ThrowsAsync<RemoteException>(() => _ctx.CallAsync(() => Failing.VoidThrows("x"))).WaitAsync(Bound);
        Assert.Equal(5, await _ctx.CallAsync(() => Echo.Add(2, 3)).WaitAsync(Bound));
        Assert.Null(_ctx.DisconnectReason);
    }
}
