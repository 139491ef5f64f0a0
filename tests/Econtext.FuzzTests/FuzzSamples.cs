namespace Econtext.FuzzTests;

/// <summary>A point, as a nested record inside <see cref="Bag"/>.</summary>
public sealed record Point(int X, int Y);

/// <summary>A value with most shapes the wire carries: nested records, lists, maps, attachments, enums, times, nullables.</summary>
public sealed record Bag(string Host, List<Point> Points, Dictionary<string, int[]> Counts, byte[] Blob, DayOfWeek Day, DateTimeOffset When, TimeSpan Took, Guid Id, double? Ratio);

/// <summary>Methods whose CALL payloads seed the CALL corpus.</summary>
public static class CallTargets
{
    public static int Add(int a, int b) => a + b;

    public static Bag Echo(Bag bag) => bag;

    public static void Write(string path, byte[] data, long offset) => _ = (path, data, offset);

    public static string Mixed(double d, float f, decimal m, bool b, Guid g, DateTime t, uint u, ulong ul, short s, ushort us, byte by, sbyte sb, int? maybe) =>
        string.Concat(d, f, m, b, g, t, u, ul, s, us, by, sb, maybe);

    public static List<T> Generic<T>(T[] items) => [.. items];
}
