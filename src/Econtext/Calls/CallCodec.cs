using System.Text.Json;
using Econtext.Wire;

namespace Econtext.Calls;

/// <summary>
/// Payload layouts of CALL and of replies (docs/protocol.md). Framing is binary; each value is one
/// JSON document read as its declared type; byte arrays ride behind the JSON as raw attachments.
/// </summary>
[System.Diagnostics.CodeAnalysis.RequiresUnreferencedCode(AotNotes.Calls)]
[System.Diagnostics.CodeAnalysis.RequiresDynamicCode(AotNotes.Calls)]
internal static class CallCodec
{
    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    public static void WriteCall(FrameBuilder frame, MethodPlan plan, object?[] arguments)
    {
        frame.WriteShortString(plan.Method.Module.Assembly.FullName!);
        Span<byte> mvid = stackalloc byte[16];
        plan.Mvid.TryWriteBytes(mvid, bigEndian: true, out _);
        frame.WriteBytes(mvid);
        frame.WriteInt32(plan.MetadataToken);
        WriteTypeList(frame, plan.TypeArguments);
        WriteTypeList(frame, plan.MethodArguments);
        frame.WriteUInt16(arguments.Length);
        AttachmentScope scope = AttachmentScope.BeginWrite();
        try
        {
            for (int i = 0; i < arguments.Length; i++)
            {
                int at = frame.ReserveInt32();
                if (i == plan.CancellationTokenIndex || i == plan.ChannelIndex)
                {
                    // Bound on the other side: the callee's token, or its end of the channel.
                    frame.WriteBytes("null"u8);
                }
                else
                {
                    SerializeInto(frame, arguments[i], plan.ParameterTypes[i]);
                }

                frame.PatchInt32(at, frame.Position - at - 4);
            }
        }
        finally
        {
            AttachmentScope.End();
        }

        WriteAttachments(frame, scope);
    }

    public static CallRequest ReadCall(byte[] payload, int length)
    {
        var reader = new PayloadReader(payload.AsSpan(0, length));
        string assembly = reader.ReadShortString();
        var mvid = new Guid(reader.ReadBytes(16), bigEndian: true);
        int token = reader.ReadInt32();
        string[] typeArguments = ReadTypeList(ref reader);
        string[] methodArguments = ReadTypeList(ref reader);
        int count = reader.ReadUInt16();
        var arguments = new (int Offset, int Length)[count];
        for (int i = 0; i < count; i++)
        {
            int size = reader.ReadInt32();
            arguments[i] = (reader.Position, size);
            reader.Take(size);
        }

        (int, int)[] attachments = ReadAttachments(ref reader);
        return new CallRequest(assembly, mvid, token, typeArguments, methodArguments, arguments, attachments);
    }

    /// <summary>One item of a stream (a streamed result, a channel's item) as its message; a pooled chunk goes back once encoded.</summary>
    public static FrameBuilder EncodeItem<T>(T item)
    {
        var frame = new FrameBuilder();
        try
        {
            WriteValue(frame, item, typeof(T));
        }
        catch
        {
            frame.Dispose();
            throw;
        }

        if (!frame.Holds(item))
        {
            ChunkPool.ReturnSent(item);
        }

        return frame;
    }

    /// <summary>A reply carrying a value, or nothing when <paramref name="type"/> is null.</summary>
    public static void WriteValue(FrameBuilder frame, object? value, Type? type)
    {
        int at = frame.ReserveInt32();
        AttachmentScope scope = AttachmentScope.BeginWrite();
        try
        {
            if (type is not null)
            {
                SerializeInto(frame, value, type);
            }
        }
        finally
        {
            AttachmentScope.End();
        }

        frame.PatchInt32(at, frame.Position - at - 4);
        WriteAttachments(frame, scope);
    }

    public static object? ReadValue(byte[] payload, int length, Type? type)
    {
        var reader = new PayloadReader(payload.AsSpan(0, length));
        int size = reader.ReadInt32();
        int offset = reader.Position;
        reader.Take(size);
        (int, int)[] attachments = ReadAttachments(ref reader);
        if (type is null || size == 0)
        {
            // Empty is "no result" (a void method); no value of a non-nullable value type is empty.
            return type is null || !type.IsValueType || Nullable.GetUnderlyingType(type) is not null
                ? null
                : throw new ProtocolViolationException($"an empty value where a {type.Name} is due");
        }

        return Deserialize(payload, offset, size, type, attachments);
    }

    /// <summary>
    /// Reads one value as its declared type. Whatever the bytes, it returns or throws
    /// <see cref="ProtocolViolationException"/>: the reader and the serializer throw several types
    /// on bad input, which must not leak to a receive loop as an "internal error".
    /// </summary>
    public static object? Deserialize(byte[] payload, int offset, int size, Type type, (int Offset, int Length)[] attachments)
    {
        AttachmentScope.BeginRead(payload, attachments);
        try
        {
            ReadOnlySpan<byte> json = payload.AsSpan(offset, size);
            return ScalarJson.Handles(type) ? ScalarJson.Read(json, type) : DeserializeWithSerializer(json, type);
        }
        catch (Exception ex) when (IsBadValue(ex))
        {
            throw new ProtocolViolationException($"a value that is not a valid {type.Name}: {ex.Message}");
        }
        finally
        {
            AttachmentScope.End();
        }
    }

    /// <summary>What reading malformed or mistyped JSON throws (the reader, the serializer, number and date parsing).</summary>
    private static bool IsBadValue(Exception ex) =>
        ex is JsonException or FormatException or InvalidOperationException or OverflowException or ArgumentException or NotSupportedException;

    /// <summary>Apart from <see cref="Deserialize"/> so that reading a scalar does not load JsonSerializer.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static object? DeserializeWithSerializer(ReadOnlySpan<byte> json, Type type) => JsonSerializer.Deserialize(json, type, WireJson.Options);

    public static void WriteError(FrameBuilder frame, RemoteErrorInfo error) => SerializeInto(frame, error, typeof(RemoteErrorInfo));

    public static RemoteErrorInfo ReadError(byte[] payload, int length)
    {
        RemoteErrorInfo? error;
        try
        {
            error = JsonSerializer.Deserialize<RemoteErrorInfo>(payload.AsSpan(0, length), WireJson.Options);
        }
        catch (Exception ex) when (IsBadValue(ex))
        {
            throw new ProtocolViolationException($"an error reply that is not a valid error: {ex.Message}");
        }

        // Type, Message and Context are not nullable; the serializer leaves them null when absent.
        return error is { Type: not null, Message: not null, Context: not null }
            ? error
            : throw new ProtocolViolationException("an error reply without an error type, message or context");
    }

    public static void SerializeInto(FrameBuilder frame, object? value, Type type)
    {
        if (!ScalarJson.TryWritePlain(frame, value, type))
        {
            SerializeWithWriter(frame, value, type);
        }
    }

    /// <summary>
    /// Apart from <see cref="SerializeInto"/> so that entering it for a plain scalar does not load
    /// System.Text.Json: a precompiled method resolves the types it uses on entry.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static void SerializeWithWriter(FrameBuilder frame, object? value, Type type)
    {
        Utf8JsonWriter writer = t_writer ??= new Utf8JsonWriter(frame, WireJson.WriterOptions);
        writer.Reset(frame);
        try
        {
            if (ScalarJson.Handles(type))
            {
                ScalarJson.Write(writer, value, type);
            }
            else
            {
                JsonSerializer.Serialize(writer, value, type, WireJson.Options);
            }

            writer.Flush();
        }
        finally
        {
            writer.Reset(Stream.Null);
        }
    }

    private static void WriteTypeList(FrameBuilder frame, Type[] types)
    {
        frame.WriteUInt16(types.Length);
        foreach (Type type in types)
        {
            frame.WriteShortString(type.AssemblyQualifiedName ?? throw new ArgumentException($"type {type} has no assembly-qualified name"));
        }
    }

    private static string[] ReadTypeList(ref PayloadReader reader)
    {
        int count = reader.ReadUInt16();
        var names = new string[count];
        for (int i = 0; i < count; i++)
        {
            names[i] = reader.ReadShortString();
        }

        return names;
    }

    private static void WriteAttachments(FrameBuilder frame, AttachmentScope scope)
    {
        IReadOnlyList<byte[]> outgoing = scope.Outgoing;
        frame.WriteInt32(outgoing.Count);
        for (int i = 0; i < outgoing.Count; i++)
        {
            byte[] attachment = outgoing[i];
            frame.WriteInt32(attachment.Length);
            if (i == outgoing.Count - 1 && ChunkPool.IsSentOnce(attachment))
            {
                // A file chunk nobody touches once it is handed over: the frame ends with it
                // instead of a copy, and gives it back to the pool once it is written.
                frame.EndWith(attachment, s_returnSent);
            }
            else
            {
                frame.WriteBytes(attachment);
            }
        }
    }

    private static readonly Action<byte[]> s_returnSent = ChunkPool.ReturnSent;

    private static (int, int)[] ReadAttachments(ref PayloadReader reader)
    {
        int count = reader.ReadInt32();
        if (count < 0 || count > reader.Remaining / 4)
        {
            throw new ProtocolViolationException($"{count} attachments announced with {reader.Remaining} bytes left");
        }

        var attachments = new (int, int)[count];
        for (int i = 0; i < count; i++)
        {
            int size = reader.ReadInt32();
            attachments[i] = (reader.Position, size);
            reader.Take(size);
        }

        return attachments;
    }
}
