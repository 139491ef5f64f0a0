namespace Econtext.TransportTests.Infrastructure;

/// <summary>An account in a <see cref="MinimalRootfs"/>'s /etc/passwd and /etc/group (its group has the same id).</summary>
public sealed record RootfsUser(string Name, int Uid, string Home, string Shell);
