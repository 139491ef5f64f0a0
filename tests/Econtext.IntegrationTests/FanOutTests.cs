namespace Econtext.IntegrationTests;

/// <summary>One call over many contexts: results as they complete, each failure reported on its own.</summary>
public sealed class FanOutTests
{
    [Fact(Timeout = 60000)]
    public async Task Each_context_reports_on_its_own_as_it_completes()
    {
        await using var router = new Router();
        string[] names = ["fan-a", "fan-b-fails", "fan-c-slow", "fan-d", "fan-e-dies"];
        Context[] contexts = await Task.WhenAll(names.Select(n => router.LocalAsync(new LocalOptions { Name = n }))).WaitAsync(Bound);
        Context dying = contexts.Single(c => c.Name == "fan-e-dies");
        System.Diagnostics.Process.GetProcessById(dying.RemoteProcessId).Kill();

        var results = new List<ContextResult<string>>();
        await foreach (ContextResult<string> result in contexts.CallEachAsync(() => Fleet.ReportAsync()).WithCancellation(CancellationToken.None))
        {
            results.Add(result);
        }

        Assert.Equal(names.Length, results.Count);
        Assert.Equal(names.Order(), results.Select(r => r.Context.Name).Order());
        Assert.All(results.Where(r => r.Context.Name is "fan-a" or "fan-d" or "fan-c-slow"), r => Assert.Equal(r.Context.Name, r.Value));
        RemoteException failed = Assert.IsType<RemoteException>(results.Single(r => r.Context.Name == "fan-b-fails").Error);
        Assert.Equal("fan-b-fails", failed.ContextName);
        Assert.IsType<ContextDisconnectedException>(results.Single(r => r.Context.Name == "fan-e-dies").Error);
        Assert.Equal("fan-c-slow", results[^1].Context.Name);
    }

    [Fact(Timeout = 60000)]
    public async Task An_invalid_call_fails_once_at_the_call_site()
    {
        await using var router = new Router();
        Context ctx = await router.LocalAsync().WaitAsync(Bound);
        Assert.Throws<ArgumentException>(() => new[] { ctx }.CallEachAsync(() => Unsupported.TakesObject(new object())));
    }
}
