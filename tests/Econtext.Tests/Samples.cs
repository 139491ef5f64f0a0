namespace Econtext.Tests;

public enum Color
{
    Red,
    Green = 7,
}

public sealed record Point(int X, int Y);

public sealed record Inventory(string Host, List<Point> Points, Dictionary<string, int[]> Counts, byte[] Blob, Color Color, DateTimeOffset When, TimeSpan Took, Guid Id, double? Ratio);

public sealed class PlainBox
{
    public string? Label { get; set; }

    public List<PlainBox> Children { get; set; } = [];
}

public interface IShape
{
    double Area { get; }
}

public abstract class ShapeBase
{
    public int Sides { get; set; }
}

public sealed class HasStream
{
    public Stream? Content { get; set; }
}

public static class Samples
{
    public static int Add(int a, int b) => a + b;

    public static Inventory Echo(Inventory inventory) => inventory;

    public static void TakesObject(object value) => _ = value;

    public static void TakesStream(Stream content) => _ = content;

    public static void TakesShape(IShape shape) => _ = shape;

    public static void TakesAbstract(ShapeBase shape) => _ = shape;

    public static void TakesDelegate(Func<int> producer) => _ = producer;

    public static void TakesNested(List<HasStream> items) => _ = items;

    public static void TakesRef(ref int value) => value++;

    public static Task<int> WaitAsync(int value, CancellationToken cancellationToken) => Task.FromResult(value);

    public static T Identity<T>(T value) => value;

    public static object ReturnsObject() => new();

    public static IAsyncEnumerable<int> Streams() => throw new NotSupportedException();

    public static Point Move(Point point, int by) => point with { X = point.X + by };

    public static int Instance(int x) => x;
}
