using System.Security.Cryptography;

namespace Econtext.IntegrationTests;

/// <summary>File checks run where the file is.</summary>
public static class Disk
{
    public static string Sha256(string path)
    {
        using FileStream stream = File.OpenRead(path);
        return Convert.ToHexString(SHA256.HashData(stream));
    }

    public static int Mode(string path) => (int)File.GetUnixFileMode(path);

    public static DateTime ModifiedUtc(string path) => File.GetLastWriteTimeUtc(path);

    public static string[] List(string directory) => Directory.GetFileSystemEntries(directory).Select(Path.GetFileName).ToArray()!;

    public static long PeakRssKib()
    {
        foreach (string line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                return long.Parse(line[6..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return -1;
    }
}
