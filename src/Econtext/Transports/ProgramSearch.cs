using System.ComponentModel;
using Econtext.Native;

namespace Econtext.Transports;

/// <summary>
/// Finds a program on the child's PATH, as execvp would. Done here rather than with posix_spawnp,
/// which would search libc's environ, not the child's, and could not say which of "missing" and
/// "not executable" it met.
/// </summary>
internal static class ProgramSearch
{
    /// <summary>What execvp searches when PATH is unset or empty.</summary>
    private const string DefaultSearchPath = "/usr/local/bin:/usr/bin:/bin";

    /// <summary>
    /// The path to run: <paramref name="fileName"/> itself if it contains '/', otherwise the first
    /// executable of that name on <paramref name="environment"/>'s PATH.
    /// </summary>
    /// <exception cref="Win32Exception">Nothing of that name is on PATH (ENOENT), or only files that are not executable (EACCES).</exception>
    public static string Resolve(string fileName, Dictionary<string, string> environment)
    {
        if (fileName.Contains('/', StringComparison.Ordinal))
        {
            return fileName;
        }

        string searchPath = environment.TryGetValue("PATH", out string? value) && value.Length > 0 ? value : DefaultSearchPath;
        string? notExecutable = null;
        foreach (string directory in searchPath.Split(':'))
        {
            string candidate = Path.Join(directory.Length == 0 ? "." : directory, fileName);
            if (Directory.Exists(candidate))
            {
                continue;
            }

            if (Libc.Access(candidate, Spawn.XOk) == 0)
            {
                return candidate;
            }

            if (notExecutable is null && File.Exists(candidate))
            {
                notExecutable = candidate;
            }
        }

        throw notExecutable is null
            ? new Win32Exception(Spawn.Enoent, $"'{fileName}' was not found on PATH ({searchPath}).")
            : new Win32Exception(Spawn.Eacces, $"'{fileName}' was found at {notExecutable} but is not executable.");
    }
}
