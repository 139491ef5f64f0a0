using System.Linq.Expressions;
using System.Reflection;
using System.Text;
using System.Threading.Channels;
using static Econtext.IntegrationTests.Remote.AttackKit;

namespace Econtext.IntegrationTests;

/// <summary>
/// docs/security.md, the rules for frames that arrive relayed through others (issue 17): an attacker
/// inside one context aims hand-made frames at contexts in another subtree, or sends malformed
/// payloads from behind an honest intermediate. Each test checks what is left afterwards: which code
/// ran where, who is still connected, which processes still run.
/// </summary>
public sealed class RelayedAttackTests
{
    [Theory(Timeout = 90000)]
    [InlineData("sibling")]
    [InlineData("grandchild in another subtree")]
    public async Task A_planted_assembly_never_runs_in_an_intermediate_or_its_children(string attackerRole)
    {
        // Master -> P -> P1, P2, and an attacker elsewhere in the tree. The attacker sends a hostile
        // copy of an assembly the master will push later (same name, same MVID, one literal changed)
        // as LOAD_ASSEMBLY to P1, on its own authority. Nobody on the way may keep it.
        await using AttackLab lab = new();
        Context p = await lab.StartAsync("p");
        Context p1 = await lab.StartAsync("p1", via: p);
        Context p2 = await lab.StartAsync("p2", via: p);
        Context attacker = attackerRole == "sibling"
            ? await lab.StartAsync("b")
            : await lab.StartAsync("g", via: await lab.StartAsync("q"));
        // An assembly nobody has yet: made here at run time, so no earlier call pushed it anywhere.
        string name = InMemoryAssemblyTests.UniqueName();
        byte[] genuine = InMemoryAssemblyTests.BuildImage(name, "genuine from ");
        byte[] hostile = Hostile(genuine);
        MethodInfo hello = InMemoryAssemblies.Load(genuine).GetType("Generated.Greeter", throwOnError: true)!.GetMethod("Hello")!;
        Expression<Func<string>> call = Expression.Lambda<Func<string>>(Expression.Call(hello));

        ForgedFrame[] frames =
        [
            new(p1.Id, attacker.Id, attacker.Id, LoadAssembly, 0, LoadAssemblyPayload(name, hostile)),
            new(p.Id, attacker.Id, attacker.Id, LoadAssembly, 0, LoadAssemblyPayload(name, hostile)),
        ];
        await attacker.CallAsync(() => Attacks.Forge(frames, 0)).WaitAsync(Bound);

        // Anything the master sends to P after the attacker's reply leaves it behind the forged frames.
        Context p3 = await lab.StartAsync("p3", via: p);
        foreach (Context honest in new[] { p1, p2, p, p3 })
        {
            Assert.Equal("genuine from " + honest.Name, await honest.CallAsync(call).WaitAsync(Bound));
        }

        foreach (Context honest in new[] { p, p1, p2, p3 })
        {
            Assert.Null(honest.DisconnectReason);
        }
    }

    [Fact(Timeout = 90000)]
    public async Task A_malformed_assembly_sent_through_an_intermediate_disconnects_nobody()
    {
        // Two bytes of LOAD_ASSEMBLY payload (a short string announcing 65,535 bytes) aimed at Q's
        // child: whoever parses it on the way must not break a stream over it.
        await using AttackLab lab = new();
        Context b = await lab.StartAsync("b");
        Context q = await lab.StartAsync("q");
        Context q1 = await lab.StartAsync("q1", via: q);
        int qPid = q.RemoteProcessId;
        int q1Pid = q1.RemoteProcessId;

        ForgedFrame[] frames =
        [
            new(q1.Id, b.Id, b.Id, LoadAssembly, 0, [0xFF, 0xFF]),
            new(q.Id, b.Id, b.Id, LoadAssembly, 0, [0xFF, 0xFF]),
        ];
        await b.CallAsync(() => Attacks.Forge(frames, 0)).WaitAsync(Bound);

        Assert.Equal(q1Pid, await q1.CallAsync(() => Probe.ProcessId()).WaitAsync(Bound));
        Assert.Equal(qPid, await q.CallAsync(() => Probe.ProcessId()).WaitAsync(Bound));
        Assert.Null(q.DisconnectReason);
        Assert.Null(q1.DisconnectReason);
        Assert.Null(b.DisconnectReason);
    }

    public static TheoryData<string> MalformedKinds => ["log level 77", "1-byte FILE_GET", "3-byte CREDIT", "non-JSON channel item"];

    [Theory(Timeout = 90000)]
    [MemberData(nameof(MalformedKinds))]
    public async Task A_grandchilds_malformed_frame_disconnects_only_the_grandchild(string kind)
    {
        // Master -> P -> G (hostile), G2 (honest). G sends one malformed frame to the master. The
        // stream it arrived on is P's, and P did nothing wrong: only G may go.
        await using AttackLab lab = new();
        Context p = await lab.StartAsync("p");
        Context g = await lab.StartAsync("g", via: p);
        Context g2 = await lab.StartAsync("g2", via: p);
        int gPid = g.RemoteProcessId;
        int pPid = p.RemoteProcessId;

        // A call whose reply handle G can aim at (a ChannelWriter parameter's items come on it).
        var items = Channel.CreateUnbounded<int>();
        using var holdOpen = new CancellationTokenSource();
        Task<int> open = g.CallAsync(() => Holding.WriterOpenAsync(items.Writer, holdOpen.Token), holdOpen.Token);
        Assert.Equal(1, await items.Reader.ReadAsync().AsTask().WaitAsync(Bound));
        int handle = Assert.Single(PendingHandlesFor(lab.Router, g.Id));

        ForgedFrame frame = kind switch
        {
            "log level 77" => new(0, g.Id, g.Id, ForwardLog, 0, [77, .. Int32s(1), 0, 1, (byte)'x', .. Int32s(0), .. Int32s(0)]),
            "1-byte FILE_GET" => new(0, g.Id, g.Id, FileGet, 0, [1], ReplyTo: 5000),
            "3-byte CREDIT" => new(0, g.Id, g.Id, Credit, 0, [0, 0, 1]),
            "non-JSON channel item" => new(0, g.Id, g.Id, handle, FlagMore, [.. Int32s(3), (byte)'{', (byte)'{', (byte)'{', .. Int32s(0)]),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        Task forging = g.CallAsync(() => Attacks.Forge(new[] { frame }, 0));

        // G is cut off: its calls fail naming the violation, and its process ends.
        ContextDisconnectedException gone = await Assert.ThrowsAsync<ContextDisconnectedException>(() => open).WaitAsync(Bound);
        Assert.Equal(g.Name, gone.ContextName);
        Assert.Contains("protocol violation", gone.Reason, StringComparison.Ordinal);

        // The forging call itself may have been answered before the eviction reached P, or failed with it.
        await Task.WhenAny(forging).WaitAsync(Bound);
        Assert.True(await ProcessWatch.WaitForExitAsync(gPid, TimeSpan.FromSeconds(15)), $"the offender's process {gPid} still runs");

        // Its parent and its sibling never noticed.
        Assert.Null(p.DisconnectReason);
        Assert.Null(g2.DisconnectReason);
        Assert.Equal(pPid, await p.CallAsync(() => Probe.ProcessId()).WaitAsync(Bound));
        Assert.Equal(g2.RemoteProcessId, await g2.CallAsync(() => Probe.ProcessId()).WaitAsync(Bound));
        Assert.Contains(p, lab.Router.Contexts);
        Assert.Contains(g2, lab.Router.Contexts);
        Assert.DoesNotContain(g, lab.Router.Contexts);
    }

    /// <summary>The image with its literal changed wherever it stands: same name, same MVID, same length.</summary>
    private static byte[] Hostile(byte[] genuine)
    {
        byte[] image = (byte[])genuine.Clone();
        byte[] from = Encoding.Unicode.GetBytes("genuine");
        byte[] to = Encoding.Unicode.GetBytes("hostile");
        int changed = 0;
        for (int at = image.AsSpan().IndexOf(from); at >= 0; at = image.AsSpan().IndexOf(from))
        {
            to.CopyTo(image, at);
            changed++;
        }

        Assert.True(changed > 0, "the literal to change is not in the image");
        return image;
    }
}
