using System.Text.Json;
using System.Text.Json.Serialization;

namespace Econtext.Calls;

/// <summary>Writes a byte[] as the index of a raw attachment (see <see cref="AttachmentScope"/>).</summary>
internal sealed class ByteArrayAttachmentConverter : JsonConverter<byte[]>
{
    public override byte[]? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            return reader.GetBytesFromBase64();
        }

        AttachmentScope scope = AttachmentScope.Current
            ?? throw new JsonException("a byte array attachment index outside of a message");
        return scope.Get(reader.GetInt32());
    }

    public override void Write(Utf8JsonWriter writer, byte[] value, JsonSerializerOptions options)
    {
        if (AttachmentScope.Current is { } scope)
        {
            writer.WriteNumberValue(scope.Add(value));
        }
        else
        {
            writer.WriteBase64StringValue(value);
        }
    }
}
