using System.IO.Pipelines;

namespace Econtext.Tests;

/// <summary>Two connected ends of an in-memory byte pipe in each direction.</summary>
internal sealed class InMemoryDuplex
{
    public InMemoryDuplex()
    {
        var toB = new Pipe();
        var toA = new Pipe();
        AInput = toA.Reader.AsStream();
        AOutput = toB.Writer.AsStream();
        BInput = toB.Reader.AsStream();
        BOutput = toA.Writer.AsStream();
    }

    public Stream AInput { get; }

    public Stream AOutput { get; }

    public Stream BInput { get; }

    public Stream BOutput { get; }
}
