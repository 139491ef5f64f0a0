using System.Buffers;
using System.Text;
using System.Text.Json;
using Econtext.Calls;

namespace Econtext.Tests;

/// <summary>
/// Integers, booleans and null skip System.Text.Json on the wire (a child's first call should not
/// load it): what is written must be byte for byte what JsonSerializer writes, and what is read must
/// follow JSON's grammar, leaving anything else to the JSON reader and its errors.
/// </summary>
public sealed class ScalarJsonTests
{
    public static TheoryData<object?, Type> Plain() => new()
    {
        { 0, typeof(int) }, { int.MinValue, typeof(int) }, { int.MaxValue, typeof(int) }, { -7, typeof(int) },
        { long.MinValue, typeof(long) }, { long.MaxValue, typeof(long) },
        { uint.MaxValue, typeof(uint) }, { ulong.MaxValue, typeof(ulong) },
        { short.MinValue, typeof(short) }, { ushort.MaxValue, typeof(ushort) },
        { byte.MaxValue, typeof(byte) }, { sbyte.MinValue, typeof(sbyte) },
        { true, typeof(bool) }, { false, typeof(bool) },
        { null, typeof(string) }, { null, typeof(int?) }, { 5, typeof(int?) },
    };

    [Theory]
    [MemberData(nameof(Plain))]
    public void Plain_scalars_are_written_as_JsonSerializer_writes_them_and_read_back(object? value, Type type)
    {
        var output = new ArrayBufferWriter<byte>();
        Assert.True(ScalarJson.TryWritePlain(output, value, type));
        Assert.Equal(JsonSerializer.Serialize(value, type), Encoding.UTF8.GetString(output.WrittenSpan));
        Assert.Equal(value, ScalarJson.Read(output.WrittenSpan, type));
    }

    [Theory]
    [InlineData("x", typeof(string))]
    [InlineData(1.5, typeof(double))]
    [InlineData(null, typeof(int))]
    public void Other_values_are_left_to_the_JSON_writer(object? value, Type type)
    {
        var output = new ArrayBufferWriter<byte>();
        Assert.False(ScalarJson.TryWritePlain(output, value, type));
        Assert.Equal(0, output.WrittenCount);
    }

    [Theory]
    [InlineData("+1")]
    [InlineData("01")]
    [InlineData("-")]
    [InlineData("1.0")]
    [InlineData("99999999999")]
    public void Text_outside_JSON_integers_fails_as_the_JSON_reader_fails(string text) =>
        Assert.ThrowsAny<Exception>(() => ScalarJson.Read(Encoding.UTF8.GetBytes(text), typeof(int)));

    [Fact]
    public void Null_or_a_boolean_for_an_integer_is_refused()
    {
        Assert.Throws<JsonException>(() => ScalarJson.Read("null"u8, typeof(int)));
        Assert.Throws<InvalidOperationException>(() => ScalarJson.Read("true"u8, typeof(int)));
    }

    [Fact]
    public void Valid_JSON_the_plain_path_does_not_take_still_reads()
    {
        Assert.Equal(1, ScalarJson.Read(" 1 "u8, typeof(int)));
        Assert.Equal(true, ScalarJson.Read(" true"u8, typeof(bool)));
    }
}
