using System.Security.Cryptography;

namespace Econtext.IntegrationTests.Infrastructure;

/// <summary>Files the file-copy tests write and check, one way for all of them.</summary>
public static class TestFiles
{
    /// <summary>A file of random bytes (from <paramref name="seed"/> when given, so it is the same every run), written in 1 MiB pieces.</summary>
    public static string Write(string path, long length, int? seed = null)
    {
        Random? random = seed is { } s ? new Random(s) : null;
        byte[] buffer = new byte[1024 * 1024];
        using FileStream file = File.Create(path);
        for (long left = length; left > 0; left -= buffer.Length)
        {
            if (random is null)
            {
                RandomNumberGenerator.Fill(buffer);
            }
            else
            {
                random.NextBytes(buffer);
            }

            file.Write(buffer, 0, (int)Math.Min(left, buffer.Length));
        }

        return path;
    }

    /// <summary>The file's SHA-256, upper-case hex.</summary>
    public static string Sha256(string path)
    {
        using FileStream stream = File.OpenRead(path);
        return Convert.ToHexString(SHA256.HashData(stream));
    }
}
