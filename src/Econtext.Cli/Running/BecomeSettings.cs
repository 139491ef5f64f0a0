namespace Econtext.Cli.Running;

/// <summary>
/// How <c>-b</c>/<c>--become</c> asked to change user on every target. As in Ansible, a host's own inventory
/// variables (<c>ansible_become_user</c>, <c>ansible_become_method</c>) win over the command line's.
/// </summary>
/// <param name="Enabled">Whether <c>-b</c>/<c>--become</c> was given (a flag, as Ansible's).</param>
/// <param name="User"><c>--become-user</c>; null means root, for hosts without <c>ansible_become_user</c>.</param>
/// <param name="Method"><c>--become-method</c>; null means sudo, for hosts without <c>ansible_become_method</c>.</param>
/// <param name="Password">From <c>--become-password-file</c>; null means the host's <c>ansible_become_password</c>.</param>
internal sealed record BecomeSettings(bool Enabled, string? User, string? Method, string? Password);
