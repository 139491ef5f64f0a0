namespace Econtext.Transports;

/// <summary>How a transport is given a password, if it asks for one.</summary>
internal enum PasswordMode
{
    /// <summary>No password handling: a prompt means failure.</summary>
    None,

    /// <summary>ssh: a one-time SSH_ASKPASS helper (see <see cref="AskPass"/>).</summary>
    AskPass,

    /// <summary>sudo, su, doas: typed into the transport's controlling terminal when its prompt appears.</summary>
    Terminal,
}
