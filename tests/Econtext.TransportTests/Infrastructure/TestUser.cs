namespace Econtext.TransportTests.Infrastructure;

/// <summary>A throwaway account made with useradd for one test run.</summary>
/// <param name="Name">The login name, <c>ect</c> + run id + <paramref name="Role"/>.</param>
/// <param name="Role">One letter saying what the account is for (see <see cref="TestHosts"/>).</param>
/// <param name="Password">Its password (every account has one: sshd without PAM refuses locked accounts).</param>
/// <param name="Shell">Its login shell.</param>
/// <param name="HasKey">Whether the client key is in its ~/.ssh/authorized_keys.</param>
public sealed record TestUser(string Name, char Role, string Password, string Shell, bool HasKey)
{
    public string Home => "/home/" + Name;

    /// <summary>The Host alias for this user in <see cref="TestHosts.SshConfig"/>.</summary>
    public string Alias => "ect-" + Role;

    public int Uid { get; set; } = -1;

    public override string ToString() => Name;
}
