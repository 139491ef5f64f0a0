namespace Econtext.Calls;

/// <summary>An exception as it travels: names and text only, never an object to instantiate.</summary>
internal sealed record RemoteErrorInfo(string Type, string Message, string? Stack, string Context, List<RemoteErrorInfo>? Inner)
{
    public static RemoteErrorInfo From(Exception exception, string context)
    {
        List<RemoteErrorInfo>? inner = null;
        if (exception is AggregateException aggregate)
        {
            inner = aggregate.InnerExceptions.Select(e => From(e, context)).ToList();
        }
        else if (exception.InnerException is { } single)
        {
            inner = [From(single, context)];
        }

        return new RemoteErrorInfo(exception.GetType().FullName ?? exception.GetType().Name, exception.Message, exception.StackTrace, context, inner);
    }

    public RemoteException ToException()
    {
        RemoteException? first = Inner is { Count: > 0 } ? Inner[0].ToException() : null;
        return new RemoteException(Type, Message, Stack, Context, first)
        {
            OtherInnerExceptions = Inner is { Count: > 1 } ? Inner.Skip(1).Select(i => i.ToException()).ToList() : [],
        };
    }
}
