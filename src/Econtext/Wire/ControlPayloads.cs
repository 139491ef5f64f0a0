using System.Text;

namespace Econtext.Wire;

/// <summary>
/// The payloads of the router's own commands and notices (docs/protocol.md), read apart from the
/// router so each can be fuzzed on its own. Like every parser of bytes from another context, each
/// returns a value or throws <see cref="ProtocolViolationException"/>, never anything else.
/// </summary>
internal static class ControlPayloads
{
    /// <summary>LOAD_ASSEMBLY: the simple name (short string), then the image to the end.</summary>
    public static (string Name, byte[] Image) ReadLoadAssembly(ReadOnlySpan<byte> payload)
    {
        var reader = new PayloadReader(payload);
        string name = reader.ReadShortString();
        return (name, reader.ReadBytes(reader.Remaining).ToArray());
    }

    /// <summary>ADD_ROUTE: the new context's id, then the id of the child it lives behind.</summary>
    public static (int Id, int Via) ReadAddRoute(ReadOnlySpan<byte> payload)
    {
        var reader = new PayloadReader(payload);
        int id = reader.ReadInt32();
        return (id, reader.ReadInt32());
    }

    /// <summary>DEL_ROUTE: the lost context's id, then the reason in UTF-8 to the end.</summary>
    public static (int Id, string Reason) ReadDelRoute(ReadOnlySpan<byte> payload)
    {
        var reader = new PayloadReader(payload);
        int id = reader.ReadInt32();
        return (id, Encoding.UTF8.GetString(reader.ReadBytes(reader.Remaining)));
    }

    /// <summary>FILE_GET: the path (short string), then the chunk size the asker wants.</summary>
    public static (string Path, int ChunkSize) ReadFileGet(ReadOnlySpan<byte> payload)
    {
        var reader = new PayloadReader(payload);
        string path = reader.ReadShortString();
        return (path, reader.ReadInt32());
    }

    /// <summary>CANCEL (the handle of the call or file to stop) and READY (the child's pid): one i32.</summary>
    public static int ReadInt32(ReadOnlySpan<byte> payload) => new PayloadReader(payload).ReadInt32();
}
