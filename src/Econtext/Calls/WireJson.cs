using System.Text.Json;
using System.Text.Json.Serialization;

namespace Econtext.Calls;

/// <summary>
/// The one set of serializer options both sides use. System.Text.Json is in every runtime, so it costs
/// a new context nothing to ship. Values are always read as the declared type; no type name travels.
/// </summary>
internal static class WireJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.General)
    {
        IncludeFields = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        MaxDepth = 128,
        Converters = { new ByteArrayAttachmentConverter() },
    };

    public static readonly JsonWriterOptions WriterOptions = new()
    {
        SkipValidation = true,
        MaxDepth = 128,
    };
}
