using System.Security.Cryptography;

namespace Econtext.IntegrationTests.Remote;

/// <summary>Runs in a context: returns what it gets, in every call shape.</summary>
public static class Echo
{
    public static T Value<T>(T value) => value;

    public static async Task<T> ValueAsync<T>(T value)
    {
        await Task.Yield();
        return value;
    }

    public static async ValueTask<T> ValueValueTaskAsync<T>(T value)
    {
        await Task.Yield();
        return value;
    }

    public static int Add(int a, int b) => a + b;

    public static string Concat(string? a, string? b) => (a ?? "<null>") + "|" + (b ?? "<null>");

    public static int? NullableOrNull(int? value) => value;

    public static Person Birthday(Person person) => person with { Age = person.Age + 1, Tags = [.. person.Tags, "older"] };

    public static Inventory Inventory(Inventory inventory) => inventory;

    public static async Task<List<Person>> PeopleAsync(Dictionary<string, Person> byName)
    {
        await Task.Delay(1);
        return [.. byName.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Value)];
    }

    public static int Length(byte[] data) => data.Length;

    public static byte[] Bytes(int size, int seed)
    {
        byte[] data = new byte[size];
        new Random(seed).NextBytes(data);
        return data;
    }

    public static string Sha256(byte[] data) => Convert.ToHexString(SHA256.HashData(data));

    public static byte[] Reverse(byte[] data)
    {
        byte[] copy = (byte[])data.Clone();
        Array.Reverse(copy);
        return copy;
    }

    public static string DescribeDate(DateTime value) => value.Kind + ":" + value.Ticks;
}
