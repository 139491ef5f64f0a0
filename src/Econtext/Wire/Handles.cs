namespace Econtext.Wire;

/// <summary>Reserved handles, as in Mitogen. Replies go to dynamic handles from <see cref="FirstDynamic"/> up.</summary>
internal static class Handles
{
    /// <summary>In reply-to: no reply is wanted.</summary>
    public const int None = 0;
    public const int Call = 1;
    public const int GetAssembly = 2;
    public const int LoadAssembly = 3;
    public const int ForwardLog = 4;
    public const int Stdio = 5;
    public const int AddRoute = 6;
    public const int DelRoute = 7;
    public const int AllocateIds = 8;
    public const int Shutdown = 9;
    public const int Cancel = 10;
    public const int Detaching = 11;

    /// <summary>Sent once by a child whose core is running: carries its process id (i32), nothing else.</summary>
    public const int Ready = 12;

    /// <summary>Caller to callee: the consumer of a streamed result took N items; N more may be sent.</summary>
    public const int Credit = 13;

    /// <summary>Caller to callee: one item for the ChannelReader parameter of the call whose reply handle is in reply-to (MORE), or its end.</summary>
    public const int StreamItem = 14;

    /// <summary>A context asks the master for a file the master shared with it; the reply streams it.</summary>
    public const int FileGet = 15;

    /// <summary>
    /// An ancestor to a context: cut off the context named in the payload, which lives behind you,
    /// because it broke the protocol. Passed down hop by hop to the offender's own parent, which
    /// breaks its stream to it; nobody else on the way is harmed.
    /// </summary>
    public const int Evict = 16;
    /// <summary>A parent to a child it started, when nothing has come from it for a while: are you there?</summary>
    public const int Heartbeat = 17;

    /// <summary>The child's answer to <see cref="Heartbeat"/>, sent from its receive loop.</summary>
    public const int HeartbeatAck = 18;

    public const int FirstDynamic = 1000;

    public static string Name(int handle) => handle switch
    {
        None => "NONE",
        Call => "CALL",
        GetAssembly => "GET_ASSEMBLY",
        LoadAssembly => "LOAD_ASSEMBLY",
        ForwardLog => "FORWARD_LOG",
        Stdio => "STDIO",
        AddRoute => "ADD_ROUTE",
        DelRoute => "DEL_ROUTE",
        AllocateIds => "ALLOCATE_IDS",
        Shutdown => "SHUTDOWN",
        Cancel => "CANCEL",
        Detaching => "DETACHING",
        Ready => "READY",
        Credit => "CREDIT",
        StreamItem => "STREAM_ITEM",
        FileGet => "FILE_GET",
        Evict => "EVICT",
        Heartbeat => "HEARTBEAT",
        HeartbeatAck => "HEARTBEAT_ACK",
        _ => handle.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
