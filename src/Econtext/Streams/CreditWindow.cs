namespace Econtext.Streams;

/// <summary>
/// The window every item stream runs under (streamed results, channel parameters, file chunks): a
/// sender is at most <see cref="Size"/> items ahead of what its receiver took, and the receiver
/// gives credit back every <see cref="ReturnEvery"/> items, so neither side ever buffers more.
/// </summary>
internal static class CreditWindow
{
    public const int Size = 16;

    /// <summary>The receiver returns credit after taking this many items.</summary>
    public const int ReturnEvery = Size / 2;
}
