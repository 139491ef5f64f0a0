namespace Econtext;

/// <summary>Counters of one router, for diagnostics and for tests that count round trips.</summary>
public sealed class RouterStatistics
{
    private long _assembliesPushed;
    private long _assemblyBytesPushed;
    private long _assemblyRequests;
    private long _messagesDropped;
    private long _runtimesShipped;
    private long _bytesSent;
    private long _runtimeBytesSent;

    /// <summary>Only a <see cref="Router"/> keeps statistics.</summary>
    internal RouterStatistics()
    {
    }

    /// <summary>Assemblies sent ahead of need (LOAD_ASSEMBLY), not counting the bootstrap preamble.</summary>
    public long AssembliesPushed => Interlocked.Read(ref _assembliesPushed);

    /// <summary>Bytes of the assembly images counted in <see cref="AssembliesPushed"/>.</summary>
    public long AssemblyBytesPushed => Interlocked.Read(ref _assemblyBytesPushed);

    /// <summary>GET_ASSEMBLY requests received from children: each one is a round trip a call waited for.</summary>
    public long AssemblyRequests => Interlocked.Read(ref _assemblyRequests);

    /// <summary>Messages refused: forged sources, unauthorised commands, unroutable destinations.</summary>
    public long MessagesDropped => Interlocked.Read(ref _messagesDropped);

    /// <summary>Targets without .NET that were sent this side's runtime (their cache had no good copy).</summary>
    public long RuntimesShipped => Interlocked.Read(ref _runtimesShipped);

    /// <summary>Bytes of runtime archive sent to those targets.</summary>
    public long RuntimeBytesSent => Interlocked.Read(ref _runtimeBytesSent);

    /// <summary>Bytes of the messages this router sent, headers included (not counting messages it forwarded for others).</summary>
    public long BytesSent => Interlocked.Read(ref _bytesSent);

    internal void CountSent(int bytes) => Interlocked.Add(ref _bytesSent, bytes);

    internal void CountRuntimeShipped(long bytes)
    {
        Interlocked.Increment(ref _runtimesShipped);
        Interlocked.Add(ref _runtimeBytesSent, bytes);
    }

    internal void CountPush(int bytes)
    {
        Interlocked.Increment(ref _assembliesPushed);
        Interlocked.Add(ref _assemblyBytesPushed, bytes);
    }

    internal void CountRequest() => Interlocked.Increment(ref _assemblyRequests);

    internal void CountDropped() => Interlocked.Increment(ref _messagesDropped);
}
