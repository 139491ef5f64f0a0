namespace Econtext.Cli.Remote;

/// <summary>One network interface as the context sees it (Ansible's ansible_INTERFACE facts, in short).</summary>
/// <param name="Name">The interface's name, such as eth0 or lo.</param>
/// <param name="State">up, down, or what the kernel reports.</param>
/// <param name="MacAddress">The hardware address as aa:bb:cc:dd:ee:ff; null when it has none (lo).</param>
/// <param name="Addresses">Its IPv4 and IPv6 addresses, each as ADDRESS/PREFIX.</param>
public sealed record NetworkInterfaceFacts(string Name, string State, string? MacAddress, string[] Addresses);
