using System.Diagnostics;

namespace Econtext.IntegrationTests;

/// <summary>
/// A refused frame that asks for an answer gets a DEAD reply saying why. A hostile child that sends
/// such frames by the thousand and never reads must not make the master queue the answers without
/// bound (issue 17, item 4).
/// </summary>
[Collection(SerialCollection.Name)]
public sealed class RefusalFloodTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    [Fact(Timeout = 120000)]
    public async Task A_child_that_never_reads_its_refusals_makes_the_master_hold_a_bounded_amount()
    {
        const int Frames = 50_000;
        const long Held = 2 * 1024 * 1024;
        string dir = Path.GetFullPath(Directory.CreateTempSubdirectory("econtext-refusals-").FullName);
        try
        {
            await using var router = new Router();
            Context greedy = await router.LocalAsync(new LocalOptions { Name = "greedy" }).WaitAsync(Bound);
            Assert.True(router.Routes.TryGetBelow(greedy.Id, out Econtext.Routing.ContextStream? stream));
            string fifo = Path.Combine(dir, "go");
            using (Process mkfifo = Process.Start("mkfifo", fifo))
            {
                await mkfifo.WaitForExitAsync().WaitAsync(Bound);
                Assert.Equal(0, mkfifo.ExitCode);
            }

            long droppedBefore = router.Statistics.MessagesDropped;

            // SHUTDOWN to the master, which obeys no command: each is refused with a DEAD reply to
            // the handle it names, and the child has stopped reading.
            ForgedFrame[] flood = [.. Enumerable.Range(0, Frames).Select(i => new ForgedFrame(0, greedy.Id, greedy.Id, AttackKit.Shutdown, 0, [], ReplyTo: 1_000_000 + i))];
            await greedy.CallAsync(() => Attacks.StopReadingThenForge(fifo, flood)).WaitAsync(Bound);

            // The reply left the child after the flood: the master has refused every frame by now.
            Assert.Equal(Frames, router.Statistics.MessagesDropped - droppedBefore);
            Assert.True(stream!.QueuedBytes <= Held, $"the master queued {stream.QueuedBytes / 1048576.0:0.0} MB of refusals for a child that does not read");

            Task go = Task.Run(() => File.WriteAllText(fifo, "go"));
            Assert.Equal(3, await greedy.CallAsync(() => Echo.Add(1, 2)).WaitAsync(Bound));
            await go.WaitAsync(Bound);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
