namespace Econtext.Cli.Remote;

/// <summary>A mounted file system that holds files (not /proc, /sys, cgroups and the like), with its use.</summary>
/// <param name="MountPoint">Where it is mounted.</param>
/// <param name="Device">What is mounted there, as /proc/self/mounts names it.</param>
/// <param name="FileSystem">Its type, such as ext4 or overlay.</param>
/// <param name="SizeBytes">Its size; null when statfs failed.</param>
/// <param name="AvailableBytes">The space this user may still fill; null when statfs failed.</param>
public sealed record MountFacts(string MountPoint, string Device, string FileSystem, long? SizeBytes, long? AvailableBytes);
