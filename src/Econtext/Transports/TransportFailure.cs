using System.Text.RegularExpressions;

namespace Econtext.Transports;

/// <summary>
/// Reads what ssh, sudo, su, doas or a container engine printed (<see cref="ContainerFailure"/>) and says which failure it is, what it means and how to
/// fix it. The transport's own words are always quoted first: we add meaning, never replace it.
/// </summary>
internal static partial class TransportFailure
{
    public static (ConnectionFailure Kind, string Advice)? Classify(IReadOnlyList<string> lines, FailureHints hints)
    {
        string all = string.Join('\n', lines);
        bool passwordGiven = hints.PasswordGiven;
        bool passwordUsed = hints.PasswordUsed();
        if (hints.PasswordRefused())
        {
            return (ConnectionFailure.PasswordIncorrect, "The password was typed in and the prompt came back: it was refused. Check it (for sudo and doas it is the invoking user's password; for su, the target user's).");
        }

        if (hints.PasswordMissing())
        {
            return (ConnectionFailure.PasswordRequired, "It asked for a password and none was given: set Password, or allow this user without one (NOPASSWD in sudoers, nopass in doas.conf).");
        }

        // Before ssh's patterns: lxc-attach says "Connection refused" about its container's socket.
        // The container patterns take no ssh or become line (ContainerFailureTests shows it).
        if (ContainerFailure.Classify(all) is { } container)
        {
            return container;
        }

        if (Contains(all, "REMOTE HOST IDENTIFICATION HAS CHANGED") || Contains(all, "Offending ") && Contains(all, "Host key verification failed"))
        {
            string fingerprint = FingerprintPattern().Match(all) is { Success: true } f ? f.Groups[1].Value : "(not printed)";
            Match offending = OffendingPattern().Match(all);
            string file = offending.Success ? offending.Groups[1].Value : "your known_hosts file";
            string line = offending.Success ? offending.Groups[2].Value : "?";
            string host = HostInMismatch().Match(all) is { Success: true } h ? h.Groups[1].Value : "<host>";
            return (ConnectionFailure.HostKeyMismatch,
                $"The host key changed: the server now presents {fingerprint}, but {file} line {line} holds another key for this host. "
                + "Either the host was reinstalled or someone is intercepting the connection. If you know why it changed, remove the old key with "
                + $"`ssh-keygen -R '{host}' -f {file}` and connect again.");
        }

        if (Contains(all, "Host key verification failed") || Contains(all, "No ED25519 host key is known") || HostKeyUnknownPattern().IsMatch(all))
        {
            return (ConnectionFailure.HostKeyUnknown,
                "The host's key is not in known_hosts and host key checking is strict. Check the key's fingerprint out of band, then add it "
                + "(`ssh-keyscan -p PORT HOST >> ~/.ssh/known_hosts`) or connect once with HostKeyPolicy.AcceptNew.");
        }

        if (Contains(all, "Could not resolve hostname") || Contains(all, "Name or service not known") || Contains(all, "Temporary failure in name resolution"))
        {
            return (ConnectionFailure.HostUnresolved, "The host name could not be resolved. Check its spelling, DNS, /etc/hosts or the Host alias in your ssh config.");
        }

        if (Contains(all, "Connection refused"))
        {
            return (ConnectionFailure.ConnectionRefused, "Nothing accepts connections on that address and port: check the port, and that sshd runs and is not firewalled.");
        }

        if (Contains(all, "Connection timed out") || Contains(all, "Operation timed out") || Contains(all, "timed out during banner exchange") || Contains(all, "No route to host"))
        {
            return (ConnectionFailure.ConnectTimeout, "The host did not answer in time. Check that it is up and reachable, or raise ConnectTimeout.");
        }

        if (Contains(all, "Permission denied (") || Contains(all, "Too many authentication failures"))
        {
            if (passwordUsed)
            {
                return (ConnectionFailure.PasswordIncorrect, "ssh sent the password and the server refused it: the password is wrong, or this account may not log in with one.");
            }

            return (ConnectionFailure.AuthenticationFailed,
                "Authentication failed: the server accepted none of the methods offered (the list in parentheses is what it allows). This is not a password error"
                + (passwordGiven ? "; no password prompt came, so the server may not allow password logins" : string.Empty)
                + ". Check the user, IdentityFile and that the public key is in the user's authorized_keys, or give a Password.");
        }

        if (Contains(all, "is not in the sudoers file") || Contains(all, "is not allowed to execute") || Contains(all, "may not run sudo")
            || Contains(all, "doas: Operation not permitted") || Contains(all, "not in the doas"))
        {
            return (ConnectionFailure.NotPermitted, "The user may not run this command as the target user. Add a rule for it (sudoers, doas.conf), or use another user.");
        }

        if (Contains(all, "a password is required") || Contains(all, "a terminal is required to read the password") || Contains(all, "no tty present")
            || Contains(all, "doas: Authentication required"))
        {
            return (ConnectionFailure.PasswordRequired, "A password is needed and none was given: set Password, or allow this user without one (NOPASSWD in sudoers, nopass in doas.conf).");
        }

        if (Contains(all, "incorrect password") || Contains(all, "Sorry, try again") || Contains(all, "Authentication failure") || Contains(all, "Authorization failed")
            || Contains(all, "authentication failed") || Contains(all, "doas: Authentication failed"))
        {
            return (ConnectionFailure.PasswordIncorrect, "The password was refused. Check it (for sudo and doas it is the invoking user's password; for su, the target user's).");
        }

        if (Contains(all, "You must install or update .NET") || Contains(all, "framework 'Microsoft.NETCore.App', version"))
        {
            return (ConnectionFailure.RuntimeTooOld, "The target's .NET runtime is older than .NET 10, which Econtext needs. Install .NET 10 or newer there, or point DotnetPath at one.");
        }

        return null;
    }

    private static bool Contains(string text, string part) => text.Contains(part, StringComparison.Ordinal);

    [GeneratedRegex(@"(SHA256:[A-Za-z0-9+/=]+)")]
    private static partial Regex FingerprintPattern();

    [GeneratedRegex(@"Offending \S+ key in (\S+):(\d+)")]
    private static partial Regex OffendingPattern();

    [GeneratedRegex(@"Host key for (\S+) has changed")]
    private static partial Regex HostInMismatch();

    [GeneratedRegex(@"No \S+ host key is known for")]
    private static partial Regex HostKeyUnknownPattern();
}
