using System.Diagnostics;
using Econtext.Bootstrap;
using Econtext.Transports;

namespace Econtext.Tests;

/// <summary>
/// Stage 0 travels as one single-quoted word that the target's login shell hands to sh. These tests
/// run that word through every login shell we claim (sh, bash, fish, tcsh) and check that sh receives
/// the script byte for byte, so the fast path (no base64, no subshell) is never a quoting gamble.
/// </summary>
public sealed class Stage0CommandTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("econtext-stage0-").FullName;

    public static TheoryData<string?, bool, string?> Scripts => new()
    {
        { null, false, null },
        { null, true, null },
        { null, true, "~/cache dir/$HOME`x`\"q\"" },
        { "/opt/my dotnet/$PATH/`id`/\"dotnet\"", false, null },
    };

    [Theory(Timeout = 60_000)]
    [MemberData(nameof(Scripts))]
    public async Task Every_login_shell_hands_sh_the_script_unchanged(string? dotnetPath, bool shipRuntime, string? cache)
    {
        string script = Stage0.Build(dotnetPath, shipRuntime, cache);
        string command = SshCommand.PortableCommand(script);
        Assert.True(SshCommand.IsPortableWord(script), "stage 0 should be sendable without base64");
        Assert.StartsWith("sh -c '", command, StringComparison.Ordinal);

        foreach (string shell in LoginShells())
        {
            string received = await ArgumentShReceivesAsync(shell, command);
            Assert.True(script == received, $"{shell} changed the script on its way to sh:\n{Difference(script, received)}");
        }
    }

    [Theory(Timeout = 60_000)]
    [InlineData("/opt/dotnet!/dotnet")]
    [InlineData("/opt/a\\\\b/dotnet")]
    public async Task Scripts_that_are_not_one_word_everywhere_go_in_base64(string dotnetPath)
    {
        string script = Stage0.Build(dotnetPath);
        Assert.False(SshCommand.IsPortableWord(script));
        string command = SshCommand.PortableCommand(script);
        Assert.StartsWith("sh -c 'eval \"$(echo ", command, StringComparison.Ordinal);

        // The real sh decodes it back (here with a script that only prints itself, so nothing runs).
        string probe = "printf %s " + Stage0.Quote(dotnetPath);
        Assert.False(SshCommand.IsPortableWord(probe));
        foreach (string shell in LoginShells())
        {
            (int code, string stdout, string stderr) = await RunAsync(shell, ["-c", SshCommand.PortableCommand(probe)], path: null);
            Assert.True(code == 0, $"{shell}: exit {code}: {stderr}");
            Assert.Equal(dotnetPath, stdout);
        }
    }

    [Theory]
    [InlineData("abc", true)]
    [InlineData("a b $x \"y\" `z` \\101 ;|&", true)]
    [InlineData("it's", false)]
    [InlineData("wow!", false)]
    [InlineData("a\\\\b", false)]
    [InlineData("ends\\", false)]
    [InlineData("line\nbreak", false)]
    [InlineData("caf\u00e9", false)]
    public void Portable_words_are_printable_ascii_without_quote_bang_or_backslash_pairs(string text, bool portable) =>
        Assert.Equal(portable, SshCommand.IsPortableWord(text));

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>The shells a target's account may log in with; fish and tcsh are listed in .ci/packages.</summary>
    private static IEnumerable<string> LoginShells()
    {
        foreach (string name in (string[])["sh", "bash", "fish", "tcsh"])
        {
            string? path = new[] { "/usr/bin/", "/bin/" }.Select(dir => dir + name).FirstOrDefault(File.Exists);
            Assert.True(path is not null, $"{name} is not installed: apt-get install -y {name} (listed in .ci/packages, which ./test installs when run as root)");
            yield return path!;
        }
    }

    /// <summary>Runs the command under <paramref name="shell"/> with a stand-in sh first on PATH that writes out its script.</summary>
    private async Task<string> ArgumentShReceivesAsync(string shell, string command)
    {
        string bin = Path.Combine(_folder, "bin");
        string captured = Path.Combine(_folder, "received");
        Directory.CreateDirectory(bin);
        File.Delete(captured);
        string fakeSh = Path.Combine(bin, "sh");
        await File.WriteAllTextAsync(fakeSh, $"#!/bin/bash\n[ \"$1\" = -c ] || exit 3\nprintf '%s' \"$2\" > '{captured}'\n");
        File.SetUnixFileMode(fakeSh, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        (int code, _, string stderr) = await RunAsync(shell, ["-c", command], path: bin + ":/usr/bin:/bin");
        Assert.True(code == 0, $"{shell} -c <stage 0>: exit {code}: {stderr}");
        return await File.ReadAllTextAsync(captured);
    }

    private static async Task<(int Code, string Stdout, string Stderr)> RunAsync(string program, string[] arguments, string? path)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        if (path is not null)
        {
            start.Environment["PATH"] = path;
        }

        using Process process = Process.Start(start)!;
        process.StandardInput.Close();
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout, await stderr);
    }

    private static string Difference(string expected, string actual)
    {
        int at = 0;
        while (at < expected.Length && at < actual.Length && expected[at] == actual[at])
        {
            at++;
        }

        return $"first difference at {at}: expected …{Excerpt(expected, at)}… got …{Excerpt(actual, at)}…";
    }

    private static string Excerpt(string text, int at) => text.Substring(Math.Max(0, at - 20), Math.Min(text.Length, at + 20) - Math.Max(0, at - 20));
}
