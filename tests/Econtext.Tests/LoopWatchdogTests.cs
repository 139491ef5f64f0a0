using Econtext.Routing;
using Econtext.Wire;

namespace Econtext.Tests;

/// <summary>The watchdog that hands long lends over ticks while streams lend their loops, and only then.</summary>
[Collection(SerialCollection.Name)]
public class LoopWatchdogTests
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(10);

    [Fact(Timeout = 30_000)]
    public async Task TheWatchdogTicksWhileLoopsAreLentAndSleepsOnceTheyAreNot()
    {
        (ContextStream a, ContextStream b) = ContextStreamTests.InMemoryPair();
        var answered = new SemaphoreSlim(0);
        b.Start((stream, m) =>
        {
            Assert.True(m.Loop!.TryLend());
            var frame = new FrameBuilder();
            frame.WriteInt32(0);
            frame.Complete(0, 1, 1, Handles.Call, 0, MessageFlags.None);
            stream.Send(frame);
        }, (_, _) => { });
        a.Start((_, _) => answered.Release(), (_, _) => { });

        // Exchanges for a while: each lends b's loop, which wakes the watchdog if it slept.
        long started = Environment.TickCount64;
        while (Environment.TickCount64 - started < 200)
        {
            var frame = new FrameBuilder();
            frame.WriteInt32(0);
            frame.Complete(1, 0, 0, Handles.Call, 0, MessageFlags.None);
            a.Send(frame);
            Assert.True(await answered.WaitAsync(s_wait));
        }

        string status = WatchdogStatus();
        long whileActive = Switches(status);

        // Idle now: ten ticks after the last lend it stops ticking for good.
        long previous = whileActive;
        bool asleep = false;
        for (int i = 0; i < 40 && !asleep; i++)
        {
            await Task.Delay(250);
            long now = Switches(WatchdogStatus());
            asleep = now - previous <= 2;
            previous = now;
        }

        Assert.True(asleep, $"the watchdog still woke up more than twice in 250 ms, 10 s after the last lend ({previous} switches)");
        a.Break("test over");
        b.Break("test over");
    }

    /// <summary>/proc status of the watchdog thread (its name, cut to 15 characters, is its comm).</summary>
    private static string WatchdogStatus()
    {
        foreach (string task in Directory.GetDirectories("/proc/self/task"))
        {
            try
            {
                if (File.ReadAllText(Path.Join(task, "comm")).TrimEnd() == "econtext loop w")
                {
                    return File.ReadAllText(Path.Join(task, "status"));
                }
            }
            catch (IOException)
            {
                // A thread that ended while we looked.
            }
        }

        throw new Xunit.Sdk.XunitException("no \"econtext loop watchdog\" thread in /proc/self/task");
    }

    private static long Switches(string status) =>
        long.Parse(status.Split('\n').First(l => l.StartsWith("voluntary_ctxt_switches:", StringComparison.Ordinal)).Split(':')[1].Trim(), System.Globalization.CultureInfo.InvariantCulture);
}
