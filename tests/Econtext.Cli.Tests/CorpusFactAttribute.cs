namespace Econtext.Cli.Tests;

/// <summary>
/// A test over the corpus of real Ansible inventories kept beside the repository (<c>shared/ansible-inventories</c>
/// in a parent directory, or <c>$ECONTEXT_ANSIBLE_CORPUS</c>). It is never copied into the repository, so where it is
/// absent the test reports itself skipped, with that reason, rather than passing.
/// </summary>
internal sealed class CorpusFactAttribute : FactAttribute
{
    public CorpusFactAttribute()
    {
        Timeout = 300_000;
        if (Find() is null)
        {
            Skip = "no shared/ansible-inventories beside the repository (nor $ECONTEXT_ANSIBLE_CORPUS): the corpus of real inventories is not here";
        }
    }

    public static string? Find()
    {
        if (Environment.GetEnvironmentVariable("ECONTEXT_ANSIBLE_CORPUS") is { Length: > 0 } given)
        {
            return Directory.Exists(given) ? given : null;
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "shared", "ansible-inventories");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}
