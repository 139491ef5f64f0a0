using System.Security.Cryptography;

namespace Econtext.IntegrationTests;

/// <summary>One file to many contexts: behind a shared hop it crosses the link to that hop once.</summary>
public sealed class FileFanOutTests : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(90);
    private readonly string _dir = Directory.CreateTempSubdirectory("econtext-fanout-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact(Timeout = 180000)]
    public async Task A_file_for_three_contexts_behind_one_hop_crosses_the_link_to_it_once()
    {
        const int size = 16 * 1024 * 1024;
        string source = Path.Combine(_dir, "payload.bin");
        byte[] bytes = RandomNumberGenerator.GetBytes(size);
        await File.WriteAllBytesAsync(source, bytes);
        string hash = Convert.ToHexString(SHA256.HashData(bytes));

        await using var router = new Router();
        Context hop = await router.LocalAsync(new LocalOptions { Name = "hop" }).WaitAsync(Bound);
        Context[] leaves = await Task.WhenAll(Enumerable.Range(0, 3).Select(i => router.LocalAsync(new LocalOptions { Name = $"leaf{i}", Via = hop }))).WaitAsync(Bound);
        Context direct = await router.LocalAsync(new LocalOptions { Name = "direct" }).WaitAsync(Bound);
        Context[] targets = [.. leaves, direct];

        // All four contexts run on this machine, so they write the same path: each to its own
        // temporary name, renamed over the others' identical copies.
        string remote = Path.Combine(Directory.CreateDirectory(Path.Combine(_dir, "dest")).FullName, "payload.bin");
        long before = router.Statistics.BytesSent;
        IReadOnlyList<ContextResult<FileTransferResult>> results = await targets.PushFileToEachAsync(source, remote, new FileTransferOptions { SkipIfSame = false }).WaitAsync(Bound);
        long sent = router.Statistics.BytesSent - before;

        Assert.Equal(targets, results.Select(r => r.Context));
        Assert.All(results, r => Assert.True(r.Succeeded, $"{r.Context.Name}: {r.Error}"));
        Assert.All(results, r => Assert.Equal(size, r.Value!.Bytes));
        Assert.Equal(hash, await direct.CallAsync(() => Disk.Sha256(remote)).WaitAsync(Bound));

        // Once to the hop (relayed to three leaves), once to the direct context: two copies, not four.
        Assert.InRange(sent, 2L * size, (2L * size) + (size / 4));

        // Unchanged: every context reports it skipped, nothing large is sent.
        before = router.Statistics.BytesSent;
        IReadOnlyList<ContextResult<FileTransferResult>> again = await targets.PushFileToEachAsync(source, remote).WaitAsync(Bound);
        Assert.All(again, r => Assert.True(r.Succeeded && r.Value!.Skipped, $"{r.Context.Name}: {r.Error} {r.Value}"));
        Assert.InRange(router.Statistics.BytesSent - before, 0, 64 * 1024);
    }

    [Fact(Timeout = 180000)]
    public async Task Each_context_behind_a_hop_gets_its_own_result_and_error()
    {
        string source = Path.Combine(_dir, "small.bin");
        await File.WriteAllBytesAsync(source, RandomNumberGenerator.GetBytes(300_000));
        await using var router = new Router();
        Context hop = await router.LocalAsync(new LocalOptions { Name = "hop" }).WaitAsync(Bound);
        Context[] leaves = await Task.WhenAll(Enumerable.Range(0, 3).Select(i => router.LocalAsync(new LocalOptions { Name = $"leaf{i}", Via = hop }))).WaitAsync(Bound);

        // A folder that does not exist: every leaf fails on its own, named in its own error.
        string bad = Path.Combine(_dir, "missing-folder", "x.bin");
        IReadOnlyList<ContextResult<FileTransferResult>> failed = await leaves.PushFileToEachAsync(source, bad).WaitAsync(Bound);
        Assert.All(failed, r =>
        {
            Assert.False(r.Succeeded);
            Assert.Contains(r.Context.Name, r.Error!.Message, StringComparison.Ordinal);
            Assert.Contains("x.bin", r.Error.Message, StringComparison.Ordinal);
        });

        string good = Path.Combine(_dir, "good.bin");
        IReadOnlyList<ContextResult<FileTransferResult>> ok = await leaves.PushFileToEachAsync(source, good).WaitAsync(Bound);
        Assert.All(ok, r => Assert.True(r.Succeeded, r.Error?.Message));
        Assert.Equal(await File.ReadAllBytesAsync(source), await File.ReadAllBytesAsync(good));
    }
}
