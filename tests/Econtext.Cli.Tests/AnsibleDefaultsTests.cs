using Econtext.Cli.Targets;

namespace Econtext.Cli.Tests;

/// <summary>ansible.cfg's [defaults] and the ANSIBLE_* variables over it, found where Ansible looks.</summary>
public sealed class AnsibleDefaultsTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"econtext-cfg-{Guid.NewGuid():N}");

    public AnsibleDefaultsTests()
    {
        Directory.CreateDirectory(Path.Combine(_root, "project"));
        Directory.CreateDirectory(Path.Combine(_root, "home"));
        File.WriteAllText(Path.Combine(_root, "project", "ansible.cfg"), """
            [ssh_connection]
            timeout = 99
            [defaults]
            # a comment
            inventory = hosts, more/
            remote_user: deploy ; an inline comment
            forks = 7
            private_key_file = keys/id
            host_key_checking = False
            timeout = 12
            """);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void The_config_in_the_working_directory_gives_the_defaults_paths_relative_to_it()
    {
        string project = Path.Combine(_root, "project");
        AnsibleDefaults defaults = AnsibleDefaults.Load(Variables(), Path.Combine(project));

        Assert.Equal([Path.Combine(project, "hosts"), Path.Combine(project, "more") + "/"], defaults.Inventory);
        Assert.Equal(("deploy", 7, Path.Combine(project, "keys", "id"), (bool?)false, (double?)12), (defaults.RemoteUser, defaults.Forks, defaults.PrivateKeyFile, defaults.HostKeyChecking, defaults.Timeout));
    }

    [Fact]
    public void Ansible_variables_win_over_the_config_and_are_relative_to_the_working_directory()
    {
        string project = Path.Combine(_root, "project");
        AnsibleDefaults defaults = AnsibleDefaults.Load(Variables(("ANSIBLE_INVENTORY", "inv.yml, /etc/x"), ("ANSIBLE_REMOTE_USER", "ops"), ("ANSIBLE_FORKS", "3")), project);

        // A list of paths, as Ansible's pathlist type: split at commas, relative to where the command runs.
        Assert.Equal([Path.Combine(project, "inv.yml"), "/etc/x"], defaults.Inventory);
        Assert.Equal(("ops", (int?)3), (defaults.RemoteUser, defaults.Forks));
    }

    [Fact]
    public void Without_a_config_nothing_is_set_not_even_ansibles_own_default_inventory()
    {
        AnsibleDefaults defaults = AnsibleDefaults.Load(Variables(), Path.Combine(_root, "home"));

        Assert.Empty(defaults.Inventory);
        Assert.Null(defaults.RemoteUser);
        Assert.Null(defaults.ConfigFile);
    }

    [Fact]
    public void ANSIBLE_CONFIG_names_the_file_and_a_bad_value_is_an_error_naming_it()
    {
        string file = Path.Combine(_root, "home", "other.cfg");
        File.WriteAllText(file, "[defaults]\nforks = many\n");

        var ex = Assert.Throws<InventoryException>(() => AnsibleDefaults.Load(Variables(("ANSIBLE_CONFIG", file)), Path.Combine(_root, "project")));
        Assert.Contains($"forks is \"many\" (ANSIBLE_FORKS or {file})", ex.Message, StringComparison.Ordinal);
    }

    private Func<string, string?> Variables(params (string Name, string Value)[] set) =>
        name => name == "HOME" ? Path.Combine(_root, "home") : set.FirstOrDefault(s => s.Name == name).Value;
}
