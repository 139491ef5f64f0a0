using System.Diagnostics;
using System.Text.Json.Nodes;
using Econtext;

namespace Econtext.Bench;

/// <summary>
/// What a host without .NET costs: the first connection (the runtime is sent and cached) and the
/// next one (the cache is used), over the same sshd as the other ssh figures. The host is this one,
/// with every dotnet hidden: ssh runs the remote command inside `unshare -m` after mounting an empty
/// tmpfs over /usr/share/dotnet (which /usr/bin/dotnet points into), so stage 0 finds none. Needs
/// root (the bench's loopback sshd logs in as the invoking user, root on the bench box) and unshare.
/// </summary>
internal static class BareHostBench
{
    public static async Task<JsonObject> RunAsync(string config, string host, int reps)
    {
        if (!Environment.IsPrivilegedProcess || !File.Exists("/usr/bin/unshare") || !Directory.Exists("/usr/share/dotnet"))
        {
            return new JsonObject { ["skipped"] = "needs root, /usr/bin/unshare and a runtime in /usr/share/dotnet to hide" };
        }

        string dir = Directory.CreateTempSubdirectory("econtext-bare-").FullName;
        try
        {
            string wrapper = Path.Combine(dir, "ssh-without-dotnet");
            await File.WriteAllTextAsync(wrapper, """
                #!/bin/bash
                # ssh, with the remote command run where no dotnet can be found (see BareHostBench.cs).
                last=${@: -1}
                cmd=$(printf '%s' "$last" | base64 -w0)
                exec ssh "${@:1:$#-1}" "unshare -m sh -c 'mount -t tmpfs none /usr/share/dotnet && eval \"\$(echo $cmd | base64 -d)\"'"
                """);
            File.SetUnixFileMode(wrapper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            var ssh = new SshOptions { Host = host, SshArgs = ["-F", config], SshPath = wrapper };

            // The first connection of a process also packs the runtime (once per process).
            var first = new List<double>();
            var bytes = new List<long>();
            double packingRun = 0;
            for (int i = 0; i <= reps; i++)
            {
                string cache = Path.Combine(dir, $"cache{i}");
                (double ms, long sent) = await ConnectAsync(ssh, cache);
                if (i == 0)
                {
                    packingRun = ms;
                }
                else
                {
                    first.Add(ms);
                    bytes.Add(sent);
                }
            }

            var next = new List<double>();
            for (int i = 0; i < Math.Max(reps, 3); i++)
            {
                (double ms, long sent) = await ConnectAsync(ssh, Path.Combine(dir, "cache1"));
                if (sent != 0)
                {
                    throw new InvalidOperationException($"a connection to a warm cache sent {sent} bytes of runtime");
                }

                next.Add(ms);
            }

            long cacheBytes = Directory.EnumerateFiles(Directory.GetDirectories(Path.Combine(dir, "cache1")).Single(), "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
            return new JsonObject
            {
                ["how"] = "ssh to this host with /usr/share/dotnet hidden by an empty tmpfs (unshare -m); connect + one call",
                ["first_connection_ms"] = Stats.Round(Stats.Median(first)),
                ["first_connection_packing_too_ms"] = Stats.Round(packingRun),
                ["runtime_bytes_sent"] = bytes.Count > 0 ? bytes.Max() : 0,
                ["cache_bytes_on_target"] = cacheBytes,
                ["next_connection_ms"] = Stats.Round(Stats.Median(next)),
                ["reps"] = reps,
            };
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static async Task<(double Ms, long Sent)> ConnectAsync(SshOptions ssh, string cache)
    {
        await using var router = new Router(new RouterOptions { RuntimeCacheDirectory = cache });
        var watch = Stopwatch.StartNew();
        Context context = await router.SshAsync(ssh);
        await context.CallAsync(() => Workloads.Ping());
        double ms = watch.Elapsed.TotalMilliseconds;
        string runtime = await context.CallAsync(() => Workloads.RuntimeDirectory());
        if (!runtime.StartsWith(cache, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"the context runs {runtime}, not a runtime from {cache}: dotnet was not hidden");
        }

        return (ms, router.Statistics.RuntimeBytesSent);
    }
}
