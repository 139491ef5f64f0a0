using System.Diagnostics;

namespace Econtext.IntegrationTests;

/// <summary>
/// A push interrupted half-way leaves nothing on the target: not when the caller cancels, not when
/// the context is shut down, not when the intermediate it is reached through is killed, not when the
/// master is killed. Each push reads from a source that gives 1 MiB and then stalls, so "mid-push" is
/// a point the test observes: the temporary file on the target holds that 1 MiB and the remote method
/// waits for more. After the interruption the test waits for the process(es) to exit (or, when the
/// context lives on, for the temporary to be deleted) and then checks the destination directory.
/// </summary>
public sealed class InterruptedPushTests : IClassFixture<ChildFixture>, IDisposable
{
    private const int Given = 1 << 20;
    private static readonly TimeSpan ExitDeadline = TimeSpan.FromSeconds(10);
    private readonly ChildFixture _fixture;
    private readonly string _dir = Directory.CreateTempSubdirectory("econtext-interrupted-").FullName;

    public InterruptedPushTests(ChildFixture fixture) => _fixture = fixture;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact(Timeout = 60000)]
    public async Task A_push_the_caller_cancels_midway_leaves_no_temporary_file_and_the_context_carries_on()
    {
        Context ctx = _fixture.Context;
        string destination = Path.Combine(_dir, "cancelled.bin");
        using var source = new StalledSource(Given);
        using var cts = new CancellationTokenSource();
        Task push = ctx.PushStreamAsync(source, destination, cancellationToken: cts.Token);
        await MidPushAsync("cancelled.bin", push);

        await cts.CancelAsync();

        string[] left = await DirectoryEvents.WaitForNoFileAsync(_dir, ".cancelled.bin.econtext-*", ExitDeadline);
        Assert.True(left.Length == 0, $"the cancelled push left {string.Join(", ", left)} in {_dir} for 10 s: the remote method still runs");
        source.Dispose();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => push).WaitAsync(Bound);
        Assert.False(File.Exists(destination), "a cancelled push must not produce the destination");
        Assert.Equal(3, await ctx.CallAsync(() => Echo.Add(1, 2)).WaitAsync(Bound));
    }

    [Fact(Timeout = 60000)]
    public async Task A_push_whose_context_is_shut_down_midway_leaves_no_temporary_file()
    {
        Context ctx = await _fixture.Router.LocalAsync(new LocalOptions { Name = "shut-mid-push" }).WaitAsync(Bound);
        int pid = ctx.RemoteProcessId;
        string destination = Path.Combine(_dir, "shut.bin");
        using var source = new StalledSource(Given);
        Task push = ctx.PushStreamAsync(source, destination);
        await MidPushAsync("shut.bin", push);

        await ctx.ShutdownAsync().WaitAsync(Bound);

        Assert.True(await ProcessWatch.WaitForExitAsync(pid, ExitDeadline), $"the context {pid} still runs 10 s after ShutdownAsync");
        AssertNothingLeft();
        source.Dispose();
        await Assert.ThrowsAnyAsync<Exception>(() => push).WaitAsync(Bound);
    }

    [Fact(Timeout = 60000)]
    public async Task A_push_through_an_intermediate_that_is_SIGKILLed_midway_leaves_no_temporary_file()
    {
        Context middle = await _fixture.Router.LocalAsync(new LocalOptions { Name = "hop-killed-mid-push" }).WaitAsync(Bound);
        Context leaf = await _fixture.Router.LocalAsync(new LocalOptions { Name = "behind-killed-hop", Via = middle }).WaitAsync(Bound);
        int leafPid = leaf.RemoteProcessId;
        string destination = Path.Combine(_dir, "behind.bin");
        using var source = new StalledSource(Given);
        Task push = leaf.PushStreamAsync(source, destination);
        await MidPushAsync("behind.bin", push);

        using (Process hop = Process.GetProcessById(middle.RemoteProcessId))
        {
            hop.Kill(); // SIGKILL
        }

        Assert.True(await ProcessWatch.WaitForExitAsync(leafPid, ExitDeadline), $"the context {leafPid} behind the killed intermediate still runs after 10 s");
        AssertNothingLeft();
        source.Dispose();
        await Assert.ThrowsAnyAsync<Exception>(() => push).WaitAsync(Bound);
    }

    [Fact(Timeout = 90000)]
    public async Task A_push_whose_master_is_SIGKILLed_midway_leaves_no_temporary_file_in_the_child_or_the_grandchild()
    {
        using TestMasterProcess master = await TestMasterProcess.StartAsync(Bound, "push", _dir);
        await MidPushAsync("child.bin", push: null, () => master.Stderr);
        await MidPushAsync("grandchild.bin", push: null, () => master.Stderr);

        await master.KillAsync(Bound);

        Assert.True(await ProcessWatch.WaitForExitAsync(master.ChildPid, ExitDeadline), $"the child {master.ChildPid} still runs 10 s after its master was SIGKILLed");
        Assert.True(await ProcessWatch.WaitForExitAsync(master.GrandchildPid, ExitDeadline), $"the grandchild {master.GrandchildPid} still runs 10 s after the master was SIGKILLed");
        AssertNothingLeft();
    }

    /// <summary>Returns once the temporary file for <paramref name="name"/> holds all the source gave.</summary>
    private async Task MidPushAsync(string name, Task? push, Func<string>? stderr = null)
    {
        try
        {
            await DirectoryEvents.WaitForFileAsync(_dir, "." + name + ".econtext-*", f => f.Length == Given, Bound, push);
        }
        catch (Exception ex) when (stderr is not null)
        {
            throw new InvalidOperationException($"{ex.Message}; the test master's stderr: {stderr()}", ex);
        }
    }

    private void AssertNothingLeft()
    {
        string[] left = Leftovers.Temporaries(_dir);
        Assert.True(left.Length == 0, $"the interrupted push left {string.Join(", ", left)} in {_dir}");
    }
}
