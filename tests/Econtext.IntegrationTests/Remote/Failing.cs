using System.Runtime.CompilerServices;

namespace Econtext.IntegrationTests.Remote;

/// <summary>Runs in a context and throws.</summary>
public static class Failing
{
    public static int ThrowsWithInner(string message)
    {
        try
        {
            OpenMissingFile();
            return 0;
        }
        catch (FileNotFoundException ex)
        {
            throw new InvalidOperationException(message, ex);
        }
    }

    public static async Task<int> ThrowsAfterAwaitAsync(string message)
    {
        await Task.Yield();
        throw new InventoryFailedException(message) { Code = 42 };
    }

    public static void ThrowsAggregate() =>
        throw new AggregateException("several things failed", new ArgumentException("first failure"), new TimeoutException("second failure"));

    public static void VoidThrows(string message) => throw new NotSupportedException(message);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void OpenMissingFile() => throw new FileNotFoundException("inner: the file is missing", "/nowhere/inventory.txt");
}
