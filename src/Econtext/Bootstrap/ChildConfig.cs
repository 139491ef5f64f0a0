using Econtext.Wire;

namespace Econtext.Bootstrap;

/// <summary>What a child needs to know about itself before its router starts; sent in the preamble.</summary>
/// <remarks>The heartbeat settings are the master's, in milliseconds (0: off), so every intermediate asks its own children as the master asks its.</remarks>
internal sealed record ChildConfig(int Id, int ParentId, string Name, int MaxMessageSize, int MinLogLevel, int[] Ancestors, int HeartbeatIntervalMs = 0, int HeartbeatTimeoutMs = 0)
{
    public void Write(FrameBuilder frame)
    {
        frame.WriteInt32(Id);
        frame.WriteInt32(ParentId);
        frame.WriteShortString(Name);
        frame.WriteInt32(MaxMessageSize);
        frame.WriteInt32(MinLogLevel);
        frame.WriteUInt16(Ancestors.Length);
        foreach (int ancestor in Ancestors)
        {
            frame.WriteInt32(ancestor);
        }

        frame.WriteInt32(HeartbeatIntervalMs);
        frame.WriteInt32(HeartbeatTimeoutMs);
    }

    public static ChildConfig Read(ReadOnlySpan<byte> bytes)
    {
        var reader = new PayloadReader(bytes);
        int id = reader.ReadInt32();
        int parentId = reader.ReadInt32();
        string name = reader.ReadShortString();
        int max = reader.ReadInt32();
        int level = reader.ReadInt32();
        var ancestors = new int[reader.ReadUInt16()];
        for (int i = 0; i < ancestors.Length; i++)
        {
            ancestors[i] = reader.ReadInt32();
        }

        int heartbeatInterval = reader.ReadInt32();
        int heartbeatTimeout = reader.ReadInt32();
        return new ChildConfig(id, parentId, name, max, level, ancestors, heartbeatInterval, heartbeatTimeout);
    }
}
