namespace Econtext.TransportTests.Cli;

/// <summary>
/// The nupkg the repository builds installs as a dotnet tool (from a folder, with no other package
/// source) and the installed <c>econtext</c> works on a local context and over ssh.
/// </summary>
public sealed class ToolPackageTests(TestHosts hosts, ITestOutputHelper output) : TransportTest(hosts, output)
{
    [Fact(Timeout = 240000)]
    public async Task The_tool_installs_from_the_nupkg_and_runs()
    {
        string work = Path.Combine(Path.GetTempPath(), "econtext-tool-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(work);
        try
        {
            string packages = Path.Combine(work, "packages");
            string project = Path.Combine(CliProcess.RepositoryRoot, "src", "Econtext.Cli", "Econtext.Cli.csproj");

            // --no-build: the solution build already made the tool; packing must not rebuild under running tests.
            CliResult pack = await CliProcess.RunFileAsync(Output, "dotnet", ["pack", project, "-c", CliProcess.Configuration, "--no-build", "-o", packages]);
            Assert.True(pack.ExitCode == 0, pack.ToString());
            string nupkg = Assert.Single(Directory.GetFiles(packages, "Econtext.Cli.*.nupkg"));
            Output.WriteLine($"{nupkg}: {new FileInfo(nupkg).Length:N0} bytes");

            // Only the folder as a source: the package must carry everything the tool needs.
            string config = Path.Combine(work, "nuget.config");
            await File.WriteAllTextAsync(config, $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration>
                  <packageSources>
                    <clear />
                    <add key="built" value="{packages}" />
                  </packageSources>
                </configuration>
                """);
            string tools = Path.Combine(work, "tools");
            CliResult install = await CliProcess.RunFileAsync(Output, "dotnet", ["tool", "install", "Econtext.Cli", "--tool-path", tools, "--configfile", config], work);
            Assert.True(install.ExitCode == 0, install.ToString());

            string econtext = Path.Combine(tools, "econtext");
            CliResult help = await CliProcess.RunFileAsync(Output, econtext, ["--help"]);
            Assert.Equal(0, help.ExitCode);
            Assert.Contains("Examples:", help.Stdout, StringComparison.Ordinal);

            CliResult local = await CliProcess.RunFileAsync(Output, econtext, ["facts", "--json"]);
            Assert.True(local.ExitCode == 0, local.ToString());
            Assert.Equal("ok", (string?)local.Host("local")["status"]);

            CliResult ssh = await CliProcess.RunFileAsync(Output, econtext, ["exec", "-F", Hosts.SshConfig, "ect-k", "--json", "--", "id", "-un"]);
            Assert.True(ssh.ExitCode == 0, ssh.ToString());
            Assert.Equal(Hosts.Key.Name + "\n", (string?)ssh.Host("ect-k")["stdout"]);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }
}
