using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Econtext.Cli.Targets;

/// <summary>
/// Ansible's INI values go through Python's <c>ast.literal_eval</c>: <c>{'LANG': 'C'}</c> is a dict, <c>['/dev/sda']</c>
/// a list, <c>'text'</c> a string, <c>None</c> nothing. This reads those literals so a dict or list becomes its JSON
/// text (as a YAML inventory's does) and a quoted string its content; anything else, or a literal this does not
/// read, stays the text it was, as Ansible keeps a value literal_eval refuses.
/// </summary>
internal static class PythonLiteral
{
    public static string Text(string value)
    {
        var text = value.Trim();
        if (text == "None")
        {
            return "";
        }
        if (text.Length == 0 || text[0] is not ('[' or '{' or '(' or '\'' or '"'))
        {
            return value;
        }
        try
        {
            var position = 0;
            using var buffer = new MemoryStream();
            string? scalar;
            using (var writer = new Utf8JsonWriter(buffer))
            {
                scalar = Read(text, ref position, writer, top: true);
            }
            Skip(text, ref position);
            return position != text.Length ? value : scalar ?? Encoding.UTF8.GetString(buffer.ToArray());
        }
        catch (FormatException)
        {
            return value;
        }
    }

    // Writes the literal at position; a top-level string is returned as itself instead.
    private static string? Read(string text, ref int i, Utf8JsonWriter writer, bool top = false)
    {
        Skip(text, ref i);
        if (i >= text.Length)
        {
            throw new FormatException();
        }
        var c = text[i];
        if (c is '[' or '(')
        {
            var close = c == '[' ? ']' : ')';
            i++;
            writer.WriteStartArray();
            while (!Closes(text, ref i, close))
            {
                Read(text, ref i, writer);
                Comma(text, ref i, close);
            }
            writer.WriteEndArray();
            return null;
        }
        if (c == '{')
        {
            i++;
            writer.WriteStartObject();
            while (!Closes(text, ref i, '}'))
            {
                var key = Scalar(text, ref i);
                Skip(text, ref i);
                if (i >= text.Length || text[i] != ':')
                {
                    throw new FormatException();
                }
                i++;
                writer.WritePropertyName(key.Text);
                Read(text, ref i, writer);
                Comma(text, ref i, '}');
            }
            writer.WriteEndObject();
            return null;
        }
        var (value, kind) = Scalar(text, ref i);
        if (top)
        {
            return kind == JsonValueKind.String ? value : throw new FormatException();
        }
        switch (kind)
        {
            case JsonValueKind.String: writer.WriteStringValue(value); break;
            case JsonValueKind.Number: writer.WriteRawValue(value); break;
            case JsonValueKind.True or JsonValueKind.False: writer.WriteBooleanValue(kind == JsonValueKind.True); break;
            default: writer.WriteNullValue(); break;
        }
        return null;
    }

    private static (string Text, JsonValueKind Kind) Scalar(string text, ref int i)
    {
        Skip(text, ref i);
        if (i < text.Length && text[i] is '\'' or '"')
        {
            var quote = text[i++];
            var result = new StringBuilder();
            while (i < text.Length && text[i] != quote)
            {
                if (text[i] == '\\' && i + 1 < text.Length)
                {
                    i++;
                    result.Append(text[i] switch { 'n' => '\n', 't' => '\t', 'r' => '\r', var other => other });
                }
                else
                {
                    result.Append(text[i]);
                }
                i++;
            }
            if (i >= text.Length)
            {
                throw new FormatException();
            }
            i++;
            return (result.ToString(), JsonValueKind.String);
        }
        var start = i;
        while (i < text.Length && (char.IsAsciiLetterOrDigit(text[i]) || text[i] is '-' or '+' or '.' or '_'))
        {
            i++;
        }
        var word = text[start..i];
        return word switch
        {
            "True" => (word, JsonValueKind.True),
            "False" => (word, JsonValueKind.False),
            "None" => (word, JsonValueKind.Null),
            _ when long.TryParse(word, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) && (word.TrimStart('-', '+').Length == 1 || word.TrimStart('-', '+')[0] != '0')
                => (n.ToString(CultureInfo.InvariantCulture), JsonValueKind.Number),
            _ when double.TryParse(word, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d) && word.Contains('.', StringComparison.Ordinal)
                => (d.ToString("R", CultureInfo.InvariantCulture), JsonValueKind.Number),
            _ => throw new FormatException(),
        };
    }

    private static bool Closes(string text, ref int i, char close)
    {
        Skip(text, ref i);
        if (i < text.Length && text[i] == close)
        {
            i++;
            return true;
        }
        return i < text.Length ? false : throw new FormatException();
    }

    private static void Comma(string text, ref int i, char close)
    {
        Skip(text, ref i);
        if (i < text.Length && text[i] == ',')
        {
            i++;
        }
        else if (i >= text.Length || text[i] != close)
        {
            throw new FormatException();
        }
    }

    private static void Skip(string text, ref int i)
    {
        while (i < text.Length && char.IsWhiteSpace(text[i]))
        {
            i++;
        }
    }
}
