namespace Econtext.IntegrationTests.Remote;

/// <summary>Methods whose signatures cannot be called remotely; the call site must say why.</summary>
public static class Unsupported
{
    public static int TakesObject(object value) => value.GetHashCode();

    public static long TakesStream(Stream input) => input.Length;

    public static double TakesInterface(IShape shape) => shape.Area;

    public static int TakesDelegate(Func<int> callback) => callback();

    public static int TakesBag(Bag bag) => bag.Label.Length;

    public static object ReturnsObject() => 1;
}
