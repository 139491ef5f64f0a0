namespace Econtext.Transports;

/// <summary>What an intermediate context reports after starting a transport for the master.</summary>
internal sealed record SpawnResult
{
    public int ProcessId { get; init; }

    /// <summary>Null on success.</summary>
    public ConnectionFailure? Failure { get; init; }

    public string? Message { get; init; }

    public List<string> TransportOutput { get; init; } = [];
}
