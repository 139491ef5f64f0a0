namespace Econtext.Cli.Running;

/// <summary>How <c>--become</c> asked to change user on every target, before a host's own inventory variables apply.</summary>
/// <param name="Enabled">Whether <c>--become</c> was given.</param>
/// <param name="User">The user to become; null means the host's <c>ansible_become_user</c>, else root.</param>
/// <param name="Method">sudo, su or doas; null means the host's <c>ansible_become_method</c>, else sudo.</param>
/// <param name="Password">From <c>--become-password-file</c>; null means the host's <c>ansible_become_password</c>.</param>
internal sealed record BecomeSettings(bool Enabled, string? User, string? Method, string? Password);
