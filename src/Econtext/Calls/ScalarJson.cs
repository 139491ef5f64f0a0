using System.Globalization;
using System.Text.Json;

namespace Econtext.Calls;

/// <summary>
/// Scalars written and read with the runtime's Utf8JsonWriter/Utf8JsonReader directly, in exactly the
/// form JsonSerializer uses. The first JsonSerializer call in a process costs 25-40 ms (measured:
/// building its metadata caches) against about 1 ms for the writer, and most calls pass and return
/// only scalars, so a new context's first call should not pay for the serializer it does not need.
/// </summary>
internal static class ScalarJson
{
    public static bool Handles(Type type)
    {
        Type core = Nullable.GetUnderlyingType(type) ?? type;
        return core == typeof(string) || core == typeof(byte[]) || core == typeof(Guid) || core == typeof(DateTime) || core == typeof(DateTimeOffset)
            || (core.IsPrimitive && core != typeof(IntPtr) && core != typeof(UIntPtr) && core != typeof(char)) || core == typeof(decimal);
    }

    public static void Write(Utf8JsonWriter writer, object? value, Type type)
    {
        switch (value)
        {
            case null:
                writer.WriteNullValue();
                break;
            case string s:
                writer.WriteStringValue(s);
                break;
            case bool b:
                writer.WriteBooleanValue(b);
                break;
            case int i:
                writer.WriteNumberValue(i);
                break;
            case long l:
                writer.WriteNumberValue(l);
                break;
            case double d:
                WriteFloating(writer, d);
                break;
            case float f:
                if (float.IsFinite(f))
                {
                    writer.WriteNumberValue(f);
                }
                else
                {
                    writer.WriteStringValue(f.ToString(CultureInfo.InvariantCulture));
                }

                break;
            case byte[] bytes:
                if (AttachmentScope.Current is { } scope)
                {
                    writer.WriteNumberValue(scope.Add(bytes));
                }
                else
                {
                    writer.WriteBase64StringValue(bytes);
                }

                break;
            case Guid g:
                writer.WriteStringValue(g);
                break;
            case DateTime dt:
                writer.WriteStringValue(dt);
                break;
            case DateTimeOffset dto:
                writer.WriteStringValue(dto);
                break;
            case decimal m:
                writer.WriteNumberValue(m);
                break;
            case uint u:
                writer.WriteNumberValue(u);
                break;
            case ulong ul:
                writer.WriteNumberValue(ul);
                break;
            case short sh:
                writer.WriteNumberValue(sh);
                break;
            case ushort us:
                writer.WriteNumberValue(us);
                break;
            case byte by:
                writer.WriteNumberValue(by);
                break;
            case sbyte sb:
                writer.WriteNumberValue(sb);
                break;
            default:
                throw new ArgumentException($"{value.GetType()} is not a scalar for {type}");
        }
    }

    public static object? Read(ReadOnlySpan<byte> json, Type type)
    {
        var reader = new Utf8JsonReader(json);
        reader.Read();
        Type core = Nullable.GetUnderlyingType(type) ?? type;
        if (reader.TokenType == JsonTokenType.Null)
        {
            return !type.IsValueType || core != type ? null : throw new JsonException($"null cannot be read as {type.Name}");
        }

        return Type.GetTypeCode(core) switch
        {
            TypeCode.String => reader.GetString(),
            TypeCode.Boolean => reader.GetBoolean(),
            TypeCode.Int32 => reader.GetInt32(),
            TypeCode.Int64 => reader.GetInt64(),
            TypeCode.Double => reader.TokenType == JsonTokenType.String ? double.Parse(reader.GetString()!, CultureInfo.InvariantCulture) : reader.GetDouble(),
            TypeCode.Single => reader.TokenType == JsonTokenType.String ? float.Parse(reader.GetString()!, CultureInfo.InvariantCulture) : reader.GetSingle(),
            TypeCode.Decimal => reader.GetDecimal(),
            TypeCode.UInt32 => reader.GetUInt32(),
            TypeCode.UInt64 => reader.GetUInt64(),
            TypeCode.Int16 => reader.GetInt16(),
            TypeCode.UInt16 => reader.GetUInt16(),
            TypeCode.Byte => reader.GetByte(),
            TypeCode.SByte => reader.GetSByte(),
            TypeCode.DateTime => reader.GetDateTime(),
            _ when core == typeof(Guid) => reader.GetGuid(),
            _ when core == typeof(DateTimeOffset) => reader.GetDateTimeOffset(),
            _ when core == typeof(byte[]) => reader.TokenType == JsonTokenType.String
                ? reader.GetBytesFromBase64()
                : (AttachmentScope.Current ?? throw new JsonException("a byte array attachment index outside of a message")).Get(reader.GetInt32()),
            _ => throw new JsonException($"{type.Name} is not a scalar"),
        };
    }

    private static void WriteFloating(Utf8JsonWriter writer, double value)
    {
        if (double.IsFinite(value))
        {
            writer.WriteNumberValue(value);
        }
        else
        {
            // JsonSerializer with AllowNamedFloatingPointLiterals writes these as strings too.
            writer.WriteStringValue(value.ToString(CultureInfo.InvariantCulture));
        }
    }
}
