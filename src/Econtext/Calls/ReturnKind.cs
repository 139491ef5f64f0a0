namespace Econtext.Calls;

internal enum ReturnKind
{
    Void,
    Value,
    Task,
    TaskOfT,
    ValueTask,
    ValueTaskOfT,

    /// <summary>IAsyncEnumerable&lt;T&gt;: items stream back one message each, under a credit window.</summary>
    AsyncEnumerable,
}
