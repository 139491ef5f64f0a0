using System.Text;
using Microsoft.Extensions.Logging;
using static Econtext.IntegrationTests.Remote.AttackKit;

namespace Econtext.IntegrationTests;

/// <summary>
/// docs/security.md, statement by statement. In each test one context plays a compromised child for
/// real: a method running in it reaches its own router's internals and writes hand-made frames (or
/// raw bytes) to its parent. Each test then checks that nothing ran where it should not (a file the
/// forged call would create, a static mark in the process it was aimed at), that the honest contexts
/// still work, and, where a router refused something, that it counted the refusal.
/// </summary>
public sealed class SecurityTests
{
    /// <summary>How long the attacker waits for refusals it asked for (they come at once when the frame is refused).</summary>
    private const int AnswerTimeoutMs = 10_000;

    // ---------------------------------------------------------------------------------------------
    // 1. Source verification

    [Fact(Timeout = 60000)]
    public async Task Frames_with_a_forged_source_id_are_dropped_by_the_first_router()
    {
        await using AttackLab lab = new();
        Context a = await lab.StartAsync("a");
        Context b = await lab.StartAsync("b");
        string path = lab.MarkerPath("forged-src");
        byte[] call = CallPayload(() => Attacks.Pwn(path));
        string forgedText = "forged as b " + Guid.NewGuid();
        string ownCategory = "honest-category-" + Guid.NewGuid().ToString("N")[..6];
        long before = lab.Router.Statistics.MessagesDropped;

        ForgedFrame[] frames =
        [
            new(0, 0, 0, Call, 0, call), // the master's own id, to the master
            new(b.Id, 0, 0, Call, 0, call), // posing as the master, to the sibling
            new(b.Id, 0, 0, Shutdown, 0, []), // posing as the master: shut the sibling down
            new(b.Id, b.Id, b.Id, Call, 0, call), // posing as the sibling, to the sibling
            new(0, b.Id, b.Id, Stdio, 0, StdoutPayload(forgedText + "\n")), // the sibling's stdout
            new(0, b.Id, b.Id, ForwardLog, 0, LogPayload("App", forgedText)), // the sibling's log
            new(0, 12345, 12345, Stdio, 0, StdoutPayload(forgedText + "\n")), // an id nobody has
        ];

        // What a child may do: log under its own name (the master puts that name in front).
        Task<LogEntry> ownLog = lab.Logs.WaitForAsync(e => e.Category == a.Name + "." + ownCategory && e.Message == "own record");
        ForgedFrame honest = new(0, a.Id, a.Id, ForwardLog, 0, LogPayload(ownCategory, "own record"));

        // The reply to this call leaves A after the forged frames, on the same pipe: when it is here,
        // the master has handled (and forwarded, or dropped) every one of them.
        ForgedFrame[] sent = [.. frames, honest];
        await a.CallAsync(() => Attacks.Forge(sent, 0)).WaitAsync(Bound);

        long dropped = lab.Router.Statistics.MessagesDropped - before;
        Assert.True(dropped >= frames.Length, $"the master dropped {dropped} frames; {frames.Length} carried a source that does not live behind A");
        await AssertNothingRanAsync(path, a, b);
        Assert.DoesNotContain(lab.Logs.Entries, e => e.Message.Contains(forgedText, StringComparison.Ordinal));
        Assert.Contains(lab.Logs.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("does not live behind", StringComparison.Ordinal));
        Assert.True(await ownLog.CompletesWithin(Bound), "A's own log record did not arrive under A's name");
        await AssertHealthyAsync(a, b);
    }

    // ---------------------------------------------------------------------------------------------
    // 2. Authority ids

    [Fact(Timeout = 60000)]
    public async Task A_forged_authority_id_gives_no_authority()
    {
        await using AttackLab lab = new();
        Context a = await lab.StartAsync("a");
        Context b = await lab.StartAsync("b");
        string path = lab.MarkerPath("forged-auth");
        byte[] call = CallPayload(() => Attacks.Pwn(path));
        string smuggled = "Econtext.Smuggled." + Guid.NewGuid().ToString("N")[..8];
        long masterBefore = lab.Router.Statistics.MessagesDropped;
        long bBefore = await b.CallAsync(() => Attacks.DroppedHere()).WaitAsync(Bound);

        ForgedFrame[] frames =
        [
            new(b.Id, a.Id, 0, Call, 0, call), // "on the master's authority"
            new(b.Id, a.Id, b.Id, Call, 0, call), // "on B's own authority"
            new(b.Id, a.Id, 0, LoadAssembly, 0, LoadAssemblyPayload(smuggled, FakeImage())),
            new(b.Id, a.Id, 0, Shutdown, 0, []),
            new(0, a.Id, 0, Call, 0, call), // to the master, "on its own authority"
        ];
        await a.CallAsync(() => Attacks.Forge(frames, 0)).WaitAsync(Bound);

        // The master forwarded (or dropped) them before A's reply; a call to B now queues behind them.
        long bDropped = await b.CallAsync(() => Attacks.DroppedHere()).WaitAsync(Bound) - bBefore;
        long masterDropped = lab.Router.Statistics.MessagesDropped - masterBefore;
        Assert.True(masterDropped + bDropped >= frames.Length, $"refused: {masterDropped} by the master, {bDropped} by B, of {frames.Length}");
        await AssertNothingRanAsync(path, a, b);
        Assert.False(await b.CallAsync(() => Attacks.HoldsImage(smuggled)).WaitAsync(Bound), "B took an assembly image from its sibling");
        await AssertHealthyAsync(a, b);
    }

    [Fact(Timeout = 60000)]
    public async Task A_forged_authority_id_is_dropped_by_the_first_router()
    {
        // The rule (security.md, statement 2b): a message arriving on a stream must carry a src id and
        // an auth id that live behind that stream (or are the stream's own id); anything else is
        // dropped and logged.
        await using AttackLab lab = new();
        Context a = await lab.StartAsync("a");
        Context b = await lab.StartAsync("b");
        string path = lab.MarkerPath("forged-auth-first-hop");
        byte[] call = CallPayload(() => Attacks.Pwn(path));
        long before = lab.Router.Statistics.MessagesDropped;

        ForgedFrame[] frames =
        [
            new(b.Id, a.Id, 0, Call, 0, call),
            new(b.Id, a.Id, b.Id, Call, 0, call),
            new(b.Id, a.Id, 0, Shutdown, 0, []),
        ];
        await a.CallAsync(() => Attacks.Forge(frames, 0)).WaitAsync(Bound);

        long dropped = lab.Router.Statistics.MessagesDropped - before;
        await AssertNothingRanAsync(path, a, b);
        await AssertHealthyAsync(a, b);
        Assert.True(
            dropped >= frames.Length,
            $"the master dropped {dropped} of {frames.Length} frames whose auth id does not live behind A; it forwarded the rest to B");
    }

    // ---------------------------------------------------------------------------------------------
    // 3. Commands to the master

    [Fact(Timeout = 60000)]
    public async Task Commands_sent_to_the_master_run_nothing_there()
    {
        await using AttackLab lab = new();
        Context a = await lab.StartAsync("a");
        Context b = await lab.StartAsync("b");
        string path = lab.MarkerPath("call-master");
        byte[] call = CallPayload(() => Attacks.Pwn(path));
        string smuggled = "Econtext.Smuggled." + Guid.NewGuid().ToString("N")[..8];
        long before = lab.Router.Statistics.MessagesDropped;

        ForgedFrame[] frames =
        [
            new(0, a.Id, a.Id, Call, 0, call, AnswerFrom: 0),
            new(0, a.Id, 0, Call, 0, call, AnswerFrom: 0),
            new(0, a.Id, a.Id, Shutdown, 0, [], AnswerFrom: 0),
            new(0, a.Id, a.Id, LoadAssembly, 0, LoadAssemblyPayload(smuggled, FakeImage()), AnswerFrom: 0),
            new(0, a.Id, a.Id, Cancel, 0, Int32s(1000), AnswerFrom: 0),
        ];
        ForgedAnswer[] answers = await a.CallAsync(() => Attacks.Forge(frames, AnswerTimeoutMs)).WaitAsync(Bound);

        Assert.False(Attacks.RanHere(path), "the forged call ran in the master");
        Assert.False(File.Exists(path), "the forged call's file exists");
        Assert.DoesNotContain(AppDomain.CurrentDomain.GetAssemblies(), x => x.GetName().Name == smuggled);
        AssertAllRefused(answers, "master");
        long dropped = lab.Router.Statistics.MessagesDropped - before;
        Assert.True(dropped >= frames.Length, $"the master counted {dropped} drops for {frames.Length} refused commands");
        await AssertNothingRanAsync(path, a, b);
        await AssertHealthyAsync(a, b);
    }

    // ---------------------------------------------------------------------------------------------
    // 4. Commands to a sibling

    [Fact(Timeout = 60000)]
    public async Task Commands_sent_to_a_sibling_run_nothing_there()
    {
        await using AttackLab lab = new();
        Context a = await lab.StartAsync("a");
        Context b = await lab.StartAsync("b");
        string path = lab.MarkerPath("call-sibling");
        byte[] call = CallPayload(() => Attacks.Pwn(path));
        string smuggled = "Econtext.Smuggled." + Guid.NewGuid().ToString("N")[..8];

        // B runs a call of the master's that A will try to cancel.
        string key = Guid.NewGuid().ToString();
        using var cts = new CancellationTokenSource();
        Task<int> running = b.CallAsync(() => Cancellable.WaitUntilCancelledAsync(key, CancellationToken.None, 7), cts.Token);
        Assert.True(await b.CallAsync(() => Cancellable.WaitStartedAsync(key, 20000)).WaitAsync(Bound), "B's call never started");
        int[] handles = PendingHandlesFor(lab.Router, b.Id);
        Assert.Single(handles);
        long masterBefore = lab.Router.Statistics.MessagesDropped;

        // Contexts send only towards their ancestors: the master, which every one of these reaches
        // first, refuses them all, and B never sees them.
        ForgedFrame[] frames =
        [
            new(b.Id, a.Id, a.Id, Call, 0, call, AnswerFrom: 0),
            new(b.Id, a.Id, a.Id, Shutdown, 0, [], AnswerFrom: 0),
            new(b.Id, a.Id, a.Id, LoadAssembly, 0, LoadAssemblyPayload(smuggled, FakeImage()), AnswerFrom: 0),
            new(b.Id, a.Id, a.Id, Cancel, 0, Int32s(handles[0]), AnswerFrom: 0),
        ];
        ForgedAnswer[] answers = await a.CallAsync(() => Attacks.Forge(frames, AnswerTimeoutMs)).WaitAsync(Bound);

        await AssertNothingRanAsync(path, runningOneCall: b, [a, b]);
        AssertAllRefused(answers, "master");
        long masterDropped = lab.Router.Statistics.MessagesDropped - masterBefore;
        Assert.True(masterDropped >= frames.Length, $"the master counted {masterDropped} drops for {frames.Length} refused commands");
        Assert.False(await b.CallAsync(() => Attacks.HoldsImage(smuggled)).WaitAsync(Bound), "B took an assembly image from its sibling");
        Assert.False(running.IsCompleted, $"B's running call ended: {running.Status}");
        Assert.False(await b.CallAsync(() => Cancellable.WaitObservedAsync(key, 0)).WaitAsync(Bound), "A cancelled B's call");
        await AssertHealthyAsync(a, b);

        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running).WaitAsync(Bound);
    }

    [Fact(Timeout = 60000)]
    public async Task A_sibling_does_not_serve_assemblies_to_a_sibling()
    {
        // docs/protocol.md: GET_ASSEMBLY goes child -> parent. B is not A's parent: the master refuses
        // to carry the request to it at all, and B serves nothing.
        await using AttackLab lab = new();
        Context a = await lab.StartAsync("a");
        Context b = await lab.StartAsync("b");
        long bRequestsBefore = await b.CallAsync(() => Attacks.AssemblyRequestsHere()).WaitAsync(Bound);

        ForgedFrame[] frames =
        [
            new(b.Id, a.Id, a.Id, GetAssembly, 0, Encoding.UTF8.GetBytes("Econtext.TestAssets.Leaf"), AnswerFrom: 0),
            new(b.Id, a.Id, a.Id, GetAssembly, 0, Encoding.UTF8.GetBytes("Econtext.NoSuchAssembly"), AnswerFrom: 0),
        ];
        ForgedAnswer[] answers = await a.CallAsync(() => Attacks.Forge(frames, AnswerTimeoutMs)).WaitAsync(Bound);

        long bServed = await b.CallAsync(() => Attacks.AssemblyRequestsHere()).WaitAsync(Bound) - bRequestsBefore;
        await AssertHealthyAsync(a, b);
        Assert.True(
            answers.All(x => x.Arrived && !IsImage(x) && (x.Flags & (FlagDead | FlagError)) != 0) && bServed == 0,
            $"B handled {bServed} assembly requests from its sibling: {Describe(answers)}");
    }

    // ---------------------------------------------------------------------------------------------
    // 5. Commands from a grandchild to its parent

    [Fact(Timeout = 60000)]
    public async Task A_grandchild_cannot_command_its_parent_or_the_master()
    {
        await using AttackLab lab = new();
        Context a = await lab.StartAsync("a");
        Context g = await lab.StartAsync("g", via: a);
        string path = lab.MarkerPath("call-parent");
        byte[] call = CallPayload(() => Attacks.Pwn(path));
        string smuggled = "Econtext.Smuggled." + Guid.NewGuid().ToString("N")[..8];
        long aBefore = await a.CallAsync(() => Attacks.DroppedHere()).WaitAsync(Bound);
        long masterBefore = lab.Router.Statistics.MessagesDropped;

        ForgedFrame[] frames =
        [
            new(a.Id, g.Id, g.Id, Call, 0, call, AnswerFrom: a.Id),
            new(a.Id, g.Id, 0, Call, 0, call, AnswerFrom: a.Id), // "on the master's authority"
            new(a.Id, g.Id, g.Id, Shutdown, 0, [], AnswerFrom: a.Id),
            new(a.Id, g.Id, g.Id, LoadAssembly, 0, LoadAssemblyPayload(smuggled, FakeImage()), AnswerFrom: a.Id),
            new(a.Id, a.Id, a.Id, Call, 0, call), // posing as A, to A
            new(a.Id, 0, 0, Call, 0, call), // posing as the master, to A
            new(0, a.Id, a.Id, Call, 0, call), // posing as A, to the master

            // Last: its refusal comes back only after A has handled everything above, in order.
            new(0, g.Id, g.Id, Call, 0, call, AnswerFrom: 0),
        ];
        ForgedAnswer[] answers = await g.CallAsync(() => Attacks.Forge(frames, AnswerTimeoutMs)).WaitAsync(Bound);

        await AssertNothingRanAsync(path, a, g);
        AssertAllRefused(answers[..4], a.Name);
        AssertAllRefused(answers[7..], "master");
        long aDropped = await a.CallAsync(() => Attacks.DroppedHere()).WaitAsync(Bound) - aBefore;
        Assert.True(aDropped >= 7, $"A counted {aDropped} drops for 7 refused frames");
        Assert.True(lab.Router.Statistics.MessagesDropped > masterBefore, "the master did not count the refused CALL");
        Assert.False(await a.CallAsync(() => Attacks.HoldsImage(smuggled)).WaitAsync(Bound), "A took an assembly image from its child");
        await AssertHealthyAsync(a, g);
    }

    // ---------------------------------------------------------------------------------------------
    // 6. ADD_ROUTE / DEL_ROUTE

    [Fact(Timeout = 60000)]
    public async Task Route_changes_from_a_child_for_ids_outside_its_subtree_are_refused()
    {
        await using AttackLab lab = new();
        Context a = await lab.StartAsync("a");
        Context b = await lab.StartAsync("b");
        Context gb = await lab.StartAsync("gb", via: b);
        long before = lab.Router.Statistics.MessagesDropped;

        ForgedFrame[] frames =
        [
            new(0, a.Id, a.Id, DelRoute, 0, DelRoutePayload(b.Id, "forged: b is gone"), AnswerFrom: 0),
            new(0, a.Id, a.Id, DelRoute, 0, DelRoutePayload(gb.Id, "forged: gb is gone"), AnswerFrom: 0),
            new(0, a.Id, a.Id, DelRoute, 0, DelRoutePayload(0, "forged: the master is gone"), AnswerFrom: 0),
            new(0, a.Id, a.Id, AddRoute, 0, Int32s(b.Id, a.Id), AnswerFrom: 0),
            new(0, a.Id, a.Id, AddRoute, 0, Int32s(gb.Id, a.Id), AnswerFrom: 0),
            new(0, a.Id, a.Id, AddRoute, 0, Int32s(4242, a.Id), AnswerFrom: 0),
            new(b.Id, a.Id, a.Id, DelRoute, 0, DelRoutePayload(gb.Id, "forged: gb is gone"), AnswerFrom: 0),
            new(b.Id, a.Id, a.Id, AddRoute, 0, Int32s(gb.Id, a.Id), AnswerFrom: 0),
        ];
        ForgedAnswer[] answers = await a.CallAsync(() => Attacks.Forge(frames, AnswerTimeoutMs)).WaitAsync(Bound);

        Assert.Null(b.DisconnectReason);
        Assert.Null(gb.DisconnectReason);
        AssertAllRefused(answers, "master");
        long dropped = lab.Router.Statistics.MessagesDropped - before;
        Assert.True(dropped >= frames.Length, $"the master counted {dropped} drops for {frames.Length} refused route changes");
        Assert.Contains(b, lab.Router.Contexts);
        Assert.Contains(gb, lab.Router.Contexts);

        // Calls still reach the contexts they name, not the attacker.
        Assert.Equal(b.RemoteProcessId, await b.CallAsync(() => Probe.ProcessId()).WaitAsync(Bound));
        Assert.Equal(gb.RemoteProcessId, await gb.CallAsync(() => Probe.ProcessId()).WaitAsync(Bound));
        await AssertHealthyAsync(a, b, gb);
    }

    [Fact(Timeout = 60000)]
    public async Task A_grandchild_cannot_disconnect_a_sibling_that_shares_its_parent()
    {
        // The rule (security.md, statement 6b): a route change from below is accepted only from an
        // immediate child, and only for ids inside that child's subtree. G1 is not the master's
        // immediate child, and G2 is not in G1's subtree.
        await using AttackLab lab = new();
        Context a = await lab.StartAsync("a");
        Context g1 = await lab.StartAsync("g1", via: a);
        Context g2 = await lab.StartAsync("g2", via: a);
        long before = lab.Router.Statistics.MessagesDropped;

        ForgedFrame[] frames =
        [
            new(a.Id, g1.Id, g1.Id, DelRoute, 0, DelRoutePayload(g2.Id, "forged by g1"), AnswerFrom: a.Id),
            new(a.Id, g1.Id, g1.Id, AddRoute, 0, Int32s(g2.Id, g1.Id), AnswerFrom: a.Id),
            new(0, g1.Id, g1.Id, AddRoute, 0, Int32s(g2.Id, a.Id), AnswerFrom: 0),
            new(0, g1.Id, g1.Id, DelRoute, 0, DelRoutePayload(g2.Id, "forged by g1"), AnswerFrom: 0),
        ];
        ForgedAnswer[] answers = await g1.CallAsync(() => Attacks.Forge(frames, AnswerTimeoutMs)).WaitAsync(Bound);

        AssertAllRefused(answers[..2], a.Name);
        Assert.True(
            g2.DisconnectReason is null,
            $"the master believes g2 is gone, on g1's word: \"{g2.DisconnectReason}\" (answers: {Describe(answers)})");
        AssertAllRefused(answers[2..], "master");
        Assert.True(lab.Router.Statistics.MessagesDropped - before >= 2, "the master did not count the refused route changes");
        Assert.Equal(g2.RemoteProcessId, await g2.CallAsync(() => Probe.ProcessId()).WaitAsync(Bound));
        await AssertHealthyAsync(a, g1, g2);
    }

    // ---------------------------------------------------------------------------------------------
    // 7. GET_ASSEMBLY

    [Fact(Timeout = 60000)]
    public async Task Assembly_requests_for_paths_or_assemblies_outside_the_application_are_refused()
    {
        await using AttackLab lab = new();
        Context a = await lab.StartAsync("a");

        // A file the attacker planted (a real assembly, outside the application).
        string planted = Path.Combine(lab.Directory, "Planted.dll");
        File.Copy(typeof(Econtext.TestAssets.Leaf.LeafItem).Assembly.Location, planted);
        string coreLib = typeof(object).Assembly.Location;
        string[] names =
        [
            "/etc/shadow",
            "/etc/passwd",
            "../../etc/passwd",
            "../../../../../../../../../etc/passwd",
            "/proc/self/environ",
            "file:///etc/passwd",
            planted,
            "Planted",
            coreLib,
            "System.Private.CoreLib, Version=0.0.0.0",
            "System.Private.CoreLib, Culture=neutral, PublicKeyToken=7cec85d7bea7798e",
            "System.Runtime, Version=0.0.0.0",
            "Econtext.NoSuchAssembly",
            string.Empty,
        ];
        const string control = "Econtext.TestAssets.Leaf";

        ForgedFrame[] frames = [.. names.Append(control).Select(n => new ForgedFrame(0, a.Id, a.Id, GetAssembly, 0, Encoding.UTF8.GetBytes(n), AnswerFrom: 0))];
        ForgedAnswer[] answers = await a.CallAsync(() => Attacks.Forge(frames, AnswerTimeoutMs)).WaitAsync(Bound);

        // The control: an application assembly comes back as an image, so the requests were well formed.
        Assert.True(answers[^1].Arrived && answers[^1].Flags == 0 && IsImage(answers[^1]), $"the control {control} was not served: {Describe(answers[^1])}");
        var leaks = new List<string>();
        for (int i = 0; i < names.Length; i++)
        {
            ForgedAnswer answer = answers[i];
            bool refused = answer.Arrived && (answer.Flags & FlagError) != 0 && !IsImage(answer)
                && !answer.Text.Contains("root:", StringComparison.Ordinal) && !answer.Text.Contains("PATH=", StringComparison.Ordinal);
            if (!refused)
            {
                leaks.Add($"'{names[i]}': {Describe(answer)}");
            }
        }

        // Asked again, after all of the above: nothing a request did may have opened the door for later ones.
        string[] again = ["/etc/shadow", "Planted", "/etc/passwd"];
        ForgedFrame[] second = [.. again.Select(n => new ForgedFrame(0, a.Id, a.Id, GetAssembly, 0, Encoding.UTF8.GetBytes(n), AnswerFrom: 0))];
        ForgedAnswer[] secondAnswers = await a.CallAsync(() => Attacks.Forge(second, AnswerTimeoutMs)).WaitAsync(Bound);
        for (int i = 0; i < again.Length; i++)
        {
            if (!secondAnswers[i].Arrived || (secondAnswers[i].Flags & FlagError) == 0 || IsImage(secondAnswers[i]))
            {
                leaks.Add($"'{again[i]}' (asked again): {Describe(secondAnswers[i])}");
            }
        }

        Assert.True(leaks.Count == 0, "not refused:" + Environment.NewLine + string.Join(Environment.NewLine, leaks));

        // The runtime's own framework assemblies, by plain name, are served (a context on a shipped,
        // pruned runtime needs them): the public files of the master's runtime folder, nothing else.
        string[] framework = ["System.Private.CoreLib", "mscorlib", "System.Private.Xml"];
        ForgedFrame[] third = [.. framework.Select(n => new ForgedFrame(0, a.Id, a.Id, GetAssembly, 0, Encoding.UTF8.GetBytes(n), AnswerFrom: 0))];
        ForgedAnswer[] thirdAnswers = await a.CallAsync(() => Attacks.Forge(third, AnswerTimeoutMs)).WaitAsync(Bound);
        string runtimeDir = Path.GetDirectoryName(coreLib)!;
        for (int i = 0; i < framework.Length; i++)
        {
            Assert.True(thirdAnswers[i].Arrived && thirdAnswers[i].Flags == 0 && IsImage(thirdAnswers[i]), $"'{framework[i]}': {Describe(thirdAnswers[i])}");
            Assert.Equal(new FileInfo(Path.Combine(runtimeDir, framework[i] + ".dll")).Length, thirdAnswers[i].Length);
        }

        await AssertHealthyAsync(a);
    }

    [Fact(Timeout = 60000)]
    public async Task Assembly_requests_through_an_intermediate_are_refused_the_same_way()
    {
        await using AttackLab lab = new();
        Context a = await lab.StartAsync("a");
        Context g = await lab.StartAsync("g", via: a);
        string[] names = ["/etc/passwd", "../../etc/passwd", "/proc/self/environ", "System.Private.CoreLib, Version=0.0.0.0", "Econtext.NoSuchAssembly"];
        const string control = "Econtext.TestAssets.Leaf";

        ForgedFrame[] frames = [.. names.Append(control).Select(n => new ForgedFrame(a.Id, g.Id, g.Id, GetAssembly, 0, Encoding.UTF8.GetBytes(n), AnswerFrom: a.Id))];
        ForgedAnswer[] answers = await g.CallAsync(() => Attacks.Forge(frames, AnswerTimeoutMs)).WaitAsync(Bound);

        Assert.True(answers[^1].Arrived && answers[^1].Flags == 0 && IsImage(answers[^1]), $"the control {control} was not served: {Describe(answers[^1])}");
        for (int i = 0; i < names.Length; i++)
        {
            ForgedAnswer answer = answers[i];
            Assert.True(
                answer.Arrived && (answer.Flags & FlagError) != 0 && !IsImage(answer) && !answer.Text.Contains("root:", StringComparison.Ordinal),
                $"'{names[i]}' through A: {Describe(answer)}");
        }

        await AssertHealthyAsync(a, g);
    }

    // ---------------------------------------------------------------------------------------------
    // 8 and 9. Broken framing

    [Theory(Timeout = 60000)]
    [InlineData(BigLimit + 1)]
    [InlineData(int.MaxValue)]
    [InlineData(-1)]
    public async Task A_frame_announcing_more_than_the_maximum_breaks_only_that_stream(int announced)
    {
        await using AttackLab lab = new(maxMessageSize: BigLimit);
        Context a = await lab.StartAsync("a");
        Context b = await lab.StartAsync("b");
        int pid = a.RemoteProcessId;
        Task<string?> waiting = a.CallAsync(() => Effects.WaitFor(Guid.NewGuid().ToString(), 50000));

        Task attack = a.CallAsync(() => Attacks.SendFrameAnnouncing(announced));

        string size = ((uint)announced).ToString(System.Globalization.CultureInfo.InvariantCulture);
        await AssertBrokenAsync(lab, a, pid, [waiting, attack], size, BigLimit.ToString(System.Globalization.CultureInfo.InvariantCulture), "maximum message size");
        await AssertHealthyAsync(b);
        await AssertNewContextWorksAsync(lab);
    }

    [Fact(Timeout = 60000)]
    public async Task Garbage_on_the_protocol_stream_breaks_only_that_stream()
    {
        await using AttackLab lab = new();
        Context a = await lab.StartAsync("a");
        Context b = await lab.StartAsync("b");
        int pid = a.RemoteProcessId;
        Task<string?> waiting = a.CallAsync(() => Effects.WaitFor(Guid.NewGuid().ToString(), 50000));
        byte[] garbage = Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: master\r\nX-Padding: 0123456789abcdef\r\n\r\n");

        Task attack = a.CallAsync(() => Attacks.WriteRaw(garbage));

        await AssertBrokenAsync(lab, a, pid, [waiting, attack], "bad magic", "0x4745");
        await AssertHealthyAsync(b);
        await AssertNewContextWorksAsync(lab);
    }

    [Fact(Timeout = 60000)]
    public async Task Garbage_from_a_grandchild_breaks_only_the_grandchild()
    {
        await using AttackLab lab = new();
        Context a = await lab.StartAsync("a");
        Context g = await lab.StartAsync("g", via: a);
        Context b = await lab.StartAsync("b");
        int pid = g.RemoteProcessId;
        Task<string?> waiting = g.CallAsync(() => Effects.WaitFor(Guid.NewGuid().ToString(), 50000));
        byte[] garbage = Encoding.ASCII.GetBytes("\0\0\0\0 not a frame header, not at all \0\0\0\0");

        Task attack = g.CallAsync(() => Attacks.WriteRaw(garbage));

        await AssertBrokenAsync(lab, g, pid, [waiting, attack], "bad magic");
        await AssertHealthyAsync(a, b);
        Assert.Equal(3, await a.CallAsync(() => Echo.Add(1, 2)).WaitAsync(Bound));
    }

    // ---------------------------------------------------------------------------------------------
    // 10. Replies

    [Fact(Timeout = 60000)]
    public async Task A_child_cannot_answer_a_call_that_went_to_another_context()
    {
        await using AttackLab lab = new();
        Context a = await lab.StartAsync("a");
        Context b = await lab.StartAsync("b");
        string key = Guid.NewGuid().ToString();
        Task<string?> victim = b.CallAsync(() => Effects.WaitFor(key, 45000));
        int[] handles = PendingHandlesFor(lab.Router, b.Id);
        Assert.Single(handles);
        Assert.Empty(PendingHandlesFor(lab.Router, a.Id));

        // Every handle the master has used so far (the victim's is the newest; A's own call comes later).
        var frames = new List<ForgedFrame>();
        for (int handle = 1000; handle <= handles[0]; handle++)
        {
            frames.Add(new(0, a.Id, a.Id, handle, 0, ReplyPayload<string?>("forged by a")));
            frames.Add(new(0, a.Id, a.Id, handle, FlagError, ErrorPayload("forged by a")));
            frames.Add(new(0, a.Id, a.Id, handle, FlagDead, Encoding.UTF8.GetBytes("forged by a: b is dead")));
        }

        int forgedSource = handles[0] - 1000 + 1;
        for (int handle = 1000; handle <= handles[0]; handle++)
        {
            frames.Add(new(0, b.Id, b.Id, handle, 0, ReplyPayload<string?>("forged by a as b")));
        }

        long before = lab.Router.Statistics.MessagesDropped;
        ForgedFrame[] all = [.. frames];
        await a.CallAsync(() => Attacks.Forge(all, 0)).WaitAsync(Bound);

        Assert.False(victim.IsCompleted, $"the call to B was completed by A's forgery: {(victim.IsFaulted ? victim.Exception!.InnerException!.Message : victim.Status.ToString())}");
        Assert.Null(b.DisconnectReason);
        long dropped = lab.Router.Statistics.MessagesDropped - before;
        Assert.True(dropped >= forgedSource, $"the master dropped {dropped} of {forgedSource} replies with a forged source");

        b.CallNoReply(() => Effects.Set(key, "honest"));
        Assert.Equal("honest", await victim.WaitAsync(Bound));
        await AssertHealthyAsync(a, b);
    }

    // ---------------------------------------------------------------------------------------------
    // What a compromised intermediate CAN do: it is trusted for its own subtree.

    [Fact(Timeout = 60000)]
    public async Task An_intermediate_can_run_calls_in_its_own_children()
    {
        // Also the control for every forged CALL above: the same payload, sent by an ancestor, runs.
        await using AttackLab lab = new();
        Context a = await lab.StartAsync("a");
        Context g = await lab.StartAsync("g", via: a);
        string path = lab.MarkerPath("intermediate-calls-child");
        byte[] call = CallPayload(() => Attacks.Pwn(path));

        ForgedFrame[] frames = [new(g.Id, a.Id, a.Id, Call, 0, call, AnswerFrom: g.Id)];
        ForgedAnswer[] answers = await a.CallAsync(() => Attacks.Forge(frames, AnswerTimeoutMs)).WaitAsync(Bound);

        Assert.True(answers[0].Arrived && answers[0].Flags == 0, $"the call from A did not run in G: {Describe(answers[0])}");
        Assert.True(File.Exists(path), "the call from A left no file");
        Assert.True(await g.CallAsync(() => Attacks.RanHere(path)).WaitAsync(Bound));
        Assert.False(await a.CallAsync(() => Attacks.RanHere(path)).WaitAsync(Bound));
    }

    [Fact(Timeout = 60000)]
    public async Task An_intermediate_can_answer_for_its_own_children()
    {
        await using AttackLab lab = new();
        Context a = await lab.StartAsync("a");
        Context g = await lab.StartAsync("g", via: a);
        string key = Guid.NewGuid().ToString();
        Task<string?> call = g.CallAsync(() => Effects.WaitFor(key, 45000));
        int[] handles = PendingHandlesFor(lab.Router, g.Id);
        Assert.Single(handles);

        ForgedFrame[] forged = [new(0, g.Id, g.Id, handles[0], 0, ReplyPayload<string?>("answered by a"))];
        await a.CallAsync(() => Attacks.Forge(forged, 0)).WaitAsync(Bound);

        Assert.Equal("answered by a", await call.WaitAsync(Bound));
    }

    // ---------------------------------------------------------------------------------------------

    private const int BigLimit = 1024 * 1024;

    private static bool IsImage(ForgedAnswer answer) => answer.Head.Length >= 2 && answer.Head[0] == (byte)'M' && answer.Head[1] == (byte)'Z';

    private static byte[] FakeImage()
    {
        byte[] image = new byte[2048];
        Random.Shared.NextBytes(image);
        image[0] = (byte)'M';
        image[1] = (byte)'Z';
        return image;
    }

    private static string Describe(ForgedAnswer answer) =>
        !answer.Arrived ? "no answer" : $"flags {answer.Flags}, {answer.Length} bytes" + (IsImage(answer) ? ", an assembly image" : $": \"{answer.Text}\"");

    private static string Describe(ForgedAnswer[] answers) => string.Join("; ", answers.Select(Describe));

    /// <summary>Every answer is a DEAD reply naming the refusing router.</summary>
    private static void AssertAllRefused(ForgedAnswer[] answers, string by)
    {
        for (int i = 0; i < answers.Length; i++)
        {
            ForgedAnswer answer = answers[i];
            Assert.True(
                answer.Arrived && (answer.Flags & FlagDead) != 0 && answer.Text.StartsWith("refused by " + by + ":", StringComparison.Ordinal),
                $"frame {i}: expected a refusal by {by}, got {Describe(answer)}");
        }
    }

    /// <summary>The forged call ran nowhere: no file, no mark in this process or in any of the contexts.</summary>
    private static Task AssertNothingRanAsync(string path, params Context[] contexts) => AssertNothingRanAsync(path, null, contexts);

    /// <summary>The same, where <paramref name="runningOneCall"/> runs one honest call of the test's throughout.</summary>
    private static async Task AssertNothingRanAsync(string path, Context? runningOneCall, Context[] contexts)
    {
        // Everything above synchronised on ordered replies, so each call below reaches its context
        // after the forged frames; it answers once any forged call that context queued has ended.
        // The master runs no calls: its mark can only have been set already.
        foreach (Context context in contexts)
        {
            int running = context == runningOneCall ? 1 : 0;
            Assert.False(await context.CallAsync(() => Attacks.RanHereOnceEarlierCallsEnded(path, running, AnswerTimeoutMs)).WaitAsync(Bound), $"a forged call ran in {context.Name}");
        }

        Assert.False(File.Exists(path), $"a forged call ran: {(File.Exists(path) ? File.ReadAllText(path) : string.Empty)}");
        Assert.False(Attacks.RanHere(path), "a forged call ran in the master");
    }

    /// <summary>Each context is connected and answers a call.</summary>
    private static async Task AssertHealthyAsync(params Context[] contexts)
    {
        foreach (Context context in contexts)
        {
            Assert.True(context.DisconnectReason is null, $"{context.Name} disconnected: {context.DisconnectReason}");
            Assert.Equal(3, await context.CallAsync(() => Echo.Add(1, 2)).WaitAsync(Bound));
        }
    }

    private static async Task AssertNewContextWorksAsync(AttackLab lab)
    {
        Context fresh = await lab.StartAsync("after");
        Assert.Equal(fresh.RemoteProcessId, await fresh.CallAsync(() => Probe.ProcessId()).WaitAsync(Bound));
    }

    /// <summary>
    /// The attacked context is disconnected with a reason that says what was wrong; every call that
    /// waited on it fails with <see cref="ContextDisconnectedException"/>; its process ends.
    /// </summary>
    private static async Task AssertBrokenAsync(AttackLab lab, Context attacked, int pid, Task[] pending, params string[] reasonContains)
    {
        foreach (Task call in pending)
        {
            ContextDisconnectedException ex = await Assert.ThrowsAsync<ContextDisconnectedException>(() => call).WaitAsync(Bound);
            Assert.Equal(attacked.Name, ex.ContextName);
            foreach (string part in reasonContains)
            {
                Assert.Contains(part, ex.Reason, StringComparison.Ordinal);
            }
        }

        Assert.True(attacked.Disconnected.IsCancellationRequested, "Disconnected was not cancelled");
        Assert.NotNull(attacked.DisconnectReason);
        Assert.DoesNotContain(attacked, lab.Router.Contexts);
        await Assert.ThrowsAsync<ContextDisconnectedException>(() => attacked.CallAsync(() => Echo.Add(1, 1))).WaitAsync(Bound);
        Assert.True(await ProcessWatch.WaitForExitAsync(pid, TimeSpan.FromSeconds(15)), $"the attacked context's process {pid} still runs");
    }
}
