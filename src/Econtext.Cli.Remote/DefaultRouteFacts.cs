namespace Econtext.Cli.Remote;

/// <summary>The IPv4 default route (Ansible's ansible_default_ipv4, in short).</summary>
/// <param name="Interface">The interface it leaves by.</param>
/// <param name="Gateway">The gateway's address; null for a route without one.</param>
/// <param name="Address">The interface's first IPv4 address; null when it has none.</param>
public sealed record DefaultRouteFacts(string Interface, string? Gateway, string? Address);
