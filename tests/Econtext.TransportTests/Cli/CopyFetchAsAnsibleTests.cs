namespace Econtext.TransportTests.Cli;

/// <summary>
/// <c>econtext copy</c> and <c>fetch</c> as people who know Ansible's copy and fetch type them
/// (issue 21), against the private sshd: what they expect on disk afterwards (contents, modes,
/// nothing else written, no temporary left). ect-k logs in as the test user k; the sshd is on this
/// machine, so its files are checked here directly.
/// </summary>
public sealed class CopyFetchAsAnsibleTests(TestHosts hosts, ITestOutputHelper output) : TransportTest(hosts, output), IDisposable
{
    private readonly string _local = Directory.CreateTempSubdirectory("econtext-cli-files-").FullName;
    private readonly string _remote = $"/tmp/econtext-cli-files-{hosts.RunId}-{Guid.NewGuid():N}";

    private string[] Ssh => ["-F", Hosts.SshConfig];

    public void Dispose()
    {
        Directory.Delete(_local, recursive: true);
        if (Directory.Exists(_remote))
        {
            Directory.Delete(_remote, recursive: true);
        }
    }

    [Fact(Timeout = 120000)]
    public async Task Fetch_of_a_link_fetches_what_it_leads_to_as_the_README_says()
    {
        // The README's own example; on Debian /etc/os-release is a link to ../usr/lib/os-release.
        Assert.NotNull(new FileInfo("/etc/os-release").LinkTarget);
        string facts = Path.Combine(_local, "facts");

        CliResult result = await CliProcess.RunAsync(Output, ["fetch", .. Ssh, "ect-k", "/etc/os-release", facts]);

        Assert.True(result.ExitCode == 0, result.ToString());
        string fetched = Path.Combine(facts, "ect-k", "os-release");
        Assert.Equal(File.ReadAllBytes("/etc/os-release"), File.ReadAllBytes(fetched));
        Assert.Null(new FileInfo(fetched).LinkTarget);
        Assert.Equal(["ect-k/", "ect-k/os-release"], Listing(facts));
    }

    [Fact(Timeout = 120000)]
    public async Task Copy_gives_new_files_and_directories_the_targets_default_modes_and_keeps_an_existing_files_mode()
    {
        string site = MakeSite();
        int umask = await RemoteUmaskAsync();
        Directory.CreateDirectory(_remote);
        string existing = Path.Combine(_remote, "secret.conf");
        File.WriteAllText(existing, "old\n");
        File.SetUnixFileMode(existing, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        await ChownAsync(_remote, existing);

        // The web root of the issue: a source directory of 0700 must not make an unreadable site.
        CliResult tree = await CliProcess.RunAsync(Output, ["copy", .. Ssh, "ect-k", site + "/", _remote + "/www"]);
        CliResult file = await CliProcess.RunAsync(Output, ["copy", .. Ssh, "ect-k", Path.Combine(site, "app.conf"), existing]);
        CliResult fixedMode = await CliProcess.RunAsync(Output, ["copy", .. Ssh, "ect-k", Path.Combine(site, "sub", "run.sh"), _remote + "/run.sh", "--mode", "0750"]);
        CliResult kept = await CliProcess.RunAsync(Output, ["copy", .. Ssh, "ect-k", site + "/", _remote + "/preserved", "--mode", "preserve"]);

        Assert.True(tree.ExitCode == 0, tree.ToString());
        Assert.True(file.ExitCode == 0, file.ToString());
        Assert.True(fixedMode.ExitCode == 0, fixedMode.ToString());
        Assert.True(kept.ExitCode == 0, kept.ToString());
        string directoryMode = Octal(0x1FF & ~umask);
        string fileMode = Octal(0x1B6 & ~umask);
        Assert.Equal(directoryMode, Stat(_remote + "/www"));
        Assert.Equal(directoryMode, Stat(_remote + "/www/sub"));
        Assert.Equal(fileMode, Stat(_remote + "/www/index.html"));
        Assert.Equal(fileMode, Stat(_remote + "/www/sub/run.sh"));
        Assert.Equal("600", Stat(existing));
        Assert.Equal("secret\n", File.ReadAllText(existing));
        Assert.Equal("750", Stat(_remote + "/run.sh"));

        // Same bytes, another mode: as Ansible, --mode puts it right (changed); then nothing to do.
        File.SetUnixFileMode(_remote + "/run.sh", (UnixFileMode)0x1A4);
        CliResult again = await CliProcess.RunAsync(Output, ["copy", .. Ssh, "ect-k", Path.Combine(site, "sub", "run.sh"), _remote + "/run.sh", "--mode", "0750", "--json"]);
        CliResult unchanged = await CliProcess.RunAsync(Output, ["copy", .. Ssh, "ect-k", Path.Combine(site, "sub", "run.sh"), _remote + "/run.sh", "--mode", "0750", "--json"]);
        Assert.True((bool?)again.Host("ect-k")["changed"], again.ToString());
        Assert.False((bool?)unchanged.Host("ect-k")["changed"], unchanged.ToString());
        Assert.Equal("750", Stat(_remote + "/run.sh"));
        Assert.Equal("700", Stat(_remote + "/preserved"));
        Assert.Equal("750", Stat(_remote + "/preserved/sub"));
        Assert.Equal("755", Stat(_remote + "/preserved/sub/run.sh"));
        Assert.Equal(
            ["preserved/", "preserved/app.conf", "preserved/index.html", "preserved/sub/", "preserved/sub/run.sh", "run.sh", "secret.conf", "www/", "www/app.conf", "www/index.html", "www/sub/", "www/sub/run.sh"],
            Listing(_remote));
    }

    [Fact(Timeout = 120000)]
    public async Task Copy_of_a_directory_without_a_slash_makes_DEST_NAME_and_with_one_copies_what_is_in_it()
    {
        string site = MakeSite();

        CliResult itself = await CliProcess.RunAsync(Output, ["copy", .. Ssh, "ect-k", site, _remote + "/a"]);
        CliResult contents = await CliProcess.RunAsync(Output, ["copy", .. Ssh, "ect-k", site + "/", _remote + "/b"]);

        Assert.True(itself.ExitCode == 0, itself.ToString());
        Assert.True(contents.ExitCode == 0, contents.ToString());
        Assert.Equal(
            ["a/", "a/site/", "a/site/app.conf", "a/site/index.html", "a/site/sub/", "a/site/sub/run.sh", "b/", "b/app.conf", "b/index.html", "b/sub/", "b/sub/run.sh"],
            Listing(_remote));
        Assert.Equal("<h1>hello</h1>\n", File.ReadAllText(_remote + "/a/site/index.html"));
    }

    [Fact(Timeout = 120000)]
    public async Task Copy_of_a_file_to_an_existing_directory_puts_it_inside_and_a_failure_names_no_exception_type()
    {
        string site = MakeSite();
        Directory.CreateDirectory(_remote + "/etc");
        await ChownAsync(_remote, _remote + "/etc");

        CliResult into = await CliProcess.RunAsync(Output, ["copy", .. Ssh, "ect-k", Path.Combine(site, "app.conf"), _remote + "/etc"]);
        CliResult refused = await CliProcess.RunAsync(Output, ["copy", .. Ssh, "ect-k", Path.Combine(site, "app.conf"), "/root/app.conf", "--json"]);

        Assert.True(into.ExitCode == 0, into.ToString());
        Assert.Equal("secret\n", File.ReadAllText(_remote + "/etc/app.conf"));
        Assert.Equal(["etc/", "etc/app.conf"], Listing(_remote));
        Assert.Equal(2, refused.ExitCode);
        string error = (string?)refused.Host("ect-k")["error"] ?? "";
        Assert.Contains("/root/app.conf", error, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", refused.Stdout + refused.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", refused.Stdout + refused.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists("/root/app.conf"));
    }

    [Fact(Timeout = 120000)]
    public async Task Copy_of_a_tree_follows_its_links_and_the_host_succeeds()
    {
        string site = MakeSite();
        string shared = Path.Combine(_local, "shared");
        Directory.CreateDirectory(shared);
        File.WriteAllText(Path.Combine(shared, "logo.svg"), "<svg/>\n");
        File.CreateSymbolicLink(Path.Combine(site, "home.html"), "index.html");
        File.CreateSymbolicLink(Path.Combine(site, "assets"), shared);

        CliResult result = await CliProcess.RunAsync(Output, ["copy", .. Ssh, "ect-k", site + "/", _remote, "--json"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(5, (int?)result.Host("ect-k")["filesCopied"]);
        Assert.Equal(
            ["app.conf", "assets/", "assets/logo.svg", "home.html", "index.html", "sub/", "sub/run.sh"],
            Listing(_remote));
        Assert.Equal("<h1>hello</h1>\n", File.ReadAllText(_remote + "/home.html"));
        Assert.Equal("<svg/>\n", File.ReadAllText(_remote + "/assets/logo.svg"));
        Assert.DoesNotContain(Directory.EnumerateFileSystemEntries(_remote, "*", SearchOption.AllDirectories), p => new FileInfo(p).LinkTarget is not null);
    }

    /// <summary>A local site/ of 0700 with sub/ of 0750, an 0755 script and an 0600 file.</summary>
    private string MakeSite()
    {
        string site = Path.Combine(_local, "site");
        Directory.CreateDirectory(Path.Combine(site, "sub"));
        File.WriteAllText(Path.Combine(site, "index.html"), "<h1>hello</h1>\n");
        File.WriteAllText(Path.Combine(site, "app.conf"), "secret\n");
        File.WriteAllText(Path.Combine(site, "sub", "run.sh"), "#!/bin/sh\n");
        File.SetUnixFileMode(Path.Combine(site, "app.conf"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.SetUnixFileMode(Path.Combine(site, "sub", "run.sh"), (UnixFileMode)0x1ED);
        File.SetUnixFileMode(Path.Combine(site, "sub"), (UnixFileMode)0x1E8);
        File.SetUnixFileMode(site, (UnixFileMode)0x1C0);
        return site;
    }

    /// <summary>The umask k's logins get there, as a command run there sees it.</summary>
    private async Task<int> RemoteUmaskAsync()
    {
        CliResult umask = await CliProcess.RunAsync(Output, ["exec", .. Ssh, "ect-k", "--json", "--", "sh", "-c", "umask"]);
        Assert.True(umask.ExitCode == 0, umask.ToString());
        string stdout = ((string?)umask.Host("ect-k")["stdout"] ?? "").Trim();
        return Convert.ToInt32(stdout, 8);
    }

    /// <summary>Gives what the test made under the remote directory to k, as if k had made it.</summary>
    private async Task ChownAsync(params string[] paths)
    {
        foreach (string path in paths)
        {
            await Shell.CheckAsync("/usr/bin/chown", $"{Hosts.Key.Name}:{Hosts.Key.Name}", path);
        }
    }

    private static string Stat(string path)
    {
        using var stat = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("stat", ["-c", "%a", path]) { RedirectStandardOutput = true })!;
        string mode = stat.StandardOutput.ReadToEnd().Trim();
        stat.WaitForExit();
        return mode;
    }

    private static string Octal(int mode) => Convert.ToString(mode, 8);

    /// <summary>Everything below <paramref name="root"/>, relative, directories ending in /; a temporary file left behind would show here.</summary>
    private static List<string> Listing(string root) =>
        [.. Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories)
            .Select(p => Path.GetRelativePath(root, p) + (Directory.Exists(p) ? "/" : ""))
            .Order(StringComparer.Ordinal)];
}
