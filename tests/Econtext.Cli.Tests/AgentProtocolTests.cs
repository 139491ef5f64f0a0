using System.Buffers.Binary;
using Econtext.Cli.Agent;
using Econtext.Cli.Agent.Client;
using Econtext.Cli.Running;
using Econtext.Cli.Targets;

namespace Econtext.Cli.Tests;

/// <summary>The frames and request between client and agent, and the agent's keys for warm contexts.</summary>
public sealed class AgentProtocolTests
{
    [Fact]
    public async Task A_request_travels_whole_in_one_frame()
    {
        var request = new AgentRequest
        {
            Identity = "/tool/Econtext.Cli.dll|1|2",
            Args = ["exec", "web1", "--", "echo", "ünïcødé", "\"quoted\""],
            WorkingDirectory = "/home/me/work dir",
            Environment = new Dictionary<string, string> { ["HOME"] = "/home/me", ["EMPTY"] = string.Empty },
            OutputIsTerminal = true,
            InputIsTerminal = true,
            Width = 132,
        };
        using var pipe = new MemoryStream();
        await AgentFrames.WriteAsync(pipe, AgentFrameKind.Request, request.ToJson(), CancellationToken.None);
        pipe.Position = 0;

        (AgentFrameKind kind, byte[] payload) = (await AgentFrames.ReadAsync(pipe, CancellationToken.None))!.Value;
        AgentRequest back = AgentRequest.FromJson(payload);

        Assert.Equal(AgentFrameKind.Request, kind);
        Assert.Equal(request.Args, back.Args);
        Assert.Equal(request.Environment, back.Environment);
        Assert.Equal(request with { Args = back.Args, Environment = back.Environment }, back);
        Assert.Null(await AgentFrames.ReadAsync(pipe, CancellationToken.None));
        Assert.DoesNotContain("HOME", back.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_oversized_or_cut_frame_is_refused_not_allocated()
    {
        byte[] header = new byte[5];
        BinaryPrimitives.WriteInt32LittleEndian(header, int.MaxValue);
        await Assert.ThrowsAsync<InvalidDataException>(() => AgentFrames.ReadAsync(new MemoryStream(header), CancellationToken.None));

        BinaryPrimitives.WriteInt32LittleEndian(header, 10);
        await Assert.ThrowsAsync<InvalidDataException>(() => AgentFrames.ReadAsync(new MemoryStream([.. header, 1, 2]), CancellationToken.None));
        await Assert.ThrowsAsync<InvalidDataException>(() => AgentFrames.ReadAsync(new MemoryStream([1, 0]), CancellationToken.None));
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("[1,2]")]
    [InlineData("not json")]
    [InlineData("{\"identity\":1}")]
    public void A_request_that_is_not_one_is_refused_with_a_reason(string text) =>
        Assert.Throws<InvalidDataException>(() => AgentRequest.FromJson(System.Text.Encoding.UTF8.GetBytes(text)));

    [Fact]
    public void Every_setting_that_shapes_a_connection_changes_the_key()
    {
        var host = new TargetHost { Name = "web1", Address = "10.0.0.5", User = "deploy" };
        var settings = new RunSettings { Hosts = [host] };
        string key = ConnectionKey.Login(host, settings, viaKey: null);

        Assert.Equal(key, ConnectionKey.Login(host with { }, settings with { }, null));
        string[] others =
        [
            ConnectionKey.Login(host with { Port = 2222 }, settings, null),
            ConnectionKey.Login(host with { User = "root" }, settings, null),
            ConnectionKey.Login(host with { Address = "10.0.0.6" }, settings, null),
            ConnectionKey.Login(host with { IdentityFile = "/k" }, settings, null),
            ConnectionKey.Login(host with { SshArgs = ["-o", "Ciphers=aes128-ctr"] }, settings, null),
            ConnectionKey.Login(host with { Connection = TargetConnection.Podman }, settings, null),
            ConnectionKey.Login(host with { ContainerEnvironment = new Dictionary<string, string> { ["A"] = "1" } }, settings, null),
            ConnectionKey.Login(host, settings with { SshConfigFile = "/cfg" }, null),
            ConnectionKey.Login(host, settings with { SshOptions = ["Port=1"] }, null),
            ConnectionKey.Login(host, settings with { HostKeyPolicy = HostKeyPolicy.Ignore }, null),
            ConnectionKey.Login(host, settings with { DotnetPath = "/opt/dotnet" }, null),
            ConnectionKey.Login(host, settings, viaKey: "bastion"),
        ];
        Assert.Equal(others.Length + 1, others.Append(key).Distinct().Count());
    }

    [Fact]
    public void A_become_key_holds_the_password_only_as_a_keyed_hash_and_the_summary_not_at_all()
    {
        byte[] salt = [1, 2, 3];
        string login = ConnectionKey.Login(new TargetHost { Name = "db1", User = "deploy" }, new RunSettings { Hosts = [] }, null);
        string right = ConnectionKey.Become(login, "sudo", "root", "s3cret-pass", salt);

        Assert.DoesNotContain("s3cret-pass", right, StringComparison.Ordinal);
        Assert.NotEqual(right, ConnectionKey.Become(login, "sudo", "root", "wrong", salt));
        Assert.NotEqual(right, ConnectionKey.Become(login, "sudo", "root", "s3cret-pass", [9]));
        Assert.NotEqual(right, ConnectionKey.Become(login, "su", "root", "s3cret-pass", salt));
        Assert.Equal("ssh://deploy@db1 become sudo:root", ConnectionKey.Summary(right));
    }
}
