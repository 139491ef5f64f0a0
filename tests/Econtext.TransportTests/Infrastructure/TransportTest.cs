namespace Econtext.TransportTests.Infrastructure;

/// <summary>What every transport test class of the hosts collection shares: the hosts, and checks of who a context runs as.</summary>
[Collection(HostsCollection.Name)]
public abstract class TransportTest : ConnectionTest
{
    protected TransportTest(TestHosts hosts, ITestOutputHelper output)
        : base(output)
    {
        Hosts = hosts;
    }

    protected TestHosts Hosts { get; }

    /// <summary>Starts a context and checks it runs as <paramref name="user"/>.</summary>
    protected static async Task<Identity> AssertRunsAsAsync(Context context, string user, int uid)
    {
        Identity who = await context.CallAsync(() => Probe.Whoami()).WaitAsync(Bound);
        Assert.Equal(user, who.User);
        Assert.Equal(uid, who.Uid);
        Assert.NotEqual(Environment.ProcessId, who.ProcessId);
        Assert.Equal(context.RemoteProcessId, who.ProcessId);

        // Same machine: the context's process is there to inspect, running as that user.
        Assert.Equal(uid, Processes.UidOf(who.ProcessId));
        Assert.Equal(42, await context.CallAsync(() => Probe.Add(40, 2)).WaitAsync(Bound));
        return who;
    }

    protected static Task<Identity> AssertRunsAsAsync(Context context, TestUser user) => AssertRunsAsAsync(context, user.Name, user.Uid);

    /// <summary>A file of <paramref name="text"/> named <paramref name="name"/>, in a folder of its own in this run's directory (an inventory, a password file).</summary>
    protected string Write(string name, string text)
    {
        string dir = Path.Combine(Hosts.Dir, "cli-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        string path = Path.Combine(dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>A password nobody has, in the same alphabet as the real ones.</summary>
    protected static string WrongPassword() => "Wrong " + Guid.NewGuid().ToString("N")[..12] + " '$\"!;&";
}
