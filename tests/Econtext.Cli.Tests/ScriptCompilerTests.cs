using Econtext.Cli.Scripting;

namespace Econtext.Cli.Tests;

/// <summary>eval text and .csx files compiled to in-memory assemblies, run here (no contexts).</summary>
public sealed class ScriptCompilerTests : IDisposable
{
    private readonly string _cache = Path.Combine(Path.GetTempPath(), "econtext-script-tests-" + Guid.NewGuid().ToString("N"));
    private readonly ScriptCompiler _uncached = new(cacheDirectory: null);

    public void Dispose()
    {
        if (Directory.Exists(_cache))
        {
            Directory.Delete(_cache, recursive: true);
        }
    }

    [Theory]
    [InlineData("1 + 2", "3")]
    [InlineData("new { a = 1, b = \"x\" }", """{"a":1,"b":"x"}""")]
    [InlineData("\"<tag> & 'quote'\"", "\"<tag> & 'quote'\"")]
    [InlineData("DayOfWeek.Monday", "\"Monday\"")]
    [InlineData("(1, \"two\")", """{"Item1":1,"Item2":"two"}""")]
    [InlineData("new[] { 1, 2 }.Select(i => i * 10).ToList()", "[10,20]")]
    [InlineData("CurrentContext.Name", "\"master\"")]
    [InlineData("(string)null", "null")]
    [InlineData("await Task.FromResult(7)", "7")]
    public async Task An_expression_is_the_value(string text, string json)
    {
        Assert.Equal(json, await Eval(text));
    }

    [Theory]
    [InlineData("var x = 20;\nreturn x + 1;", "21")]
    [InlineData("var x = 20;\nx + 2", "22")]
    [InlineData("var x = 1;", "null")]
    [InlineData("if (DateTime.Now.Year > 2000) { return \"yes\"; }", "\"yes\"")]
    [InlineData("await Task.Delay(1);\nreturn 5;", "5")]
    [InlineData("int Square(int v) => v * v;\nreturn Square(4);", "16")]
    public async Task Statements_return_the_value(string text, string json)
    {
        Assert.Equal(json, await Eval(text));
    }

    [Theory]
    [InlineData("GC.KeepAlive(1)")]
    [InlineData("await Task.Delay(1)")]
    [InlineData("var list = new List<int>();\nlist.Add(1)")]
    public async Task A_void_expression_runs_and_has_no_value(string text)
    {
        Assert.Equal("null", await Eval(text));
    }

    [Fact]
    public async Task A_value_JSON_cannot_show_prints_as_its_string()
    {
        Assert.Equal("\"System.Func`1[System.Int32]\"", await Eval("(Func<int>)(() => 1)"));
    }

    [Fact]
    public async Task An_exception_names_the_script_line_it_came_from()
    {
        CompiledScript script = _uncached.Compile(ScriptSource.ForEval("var zero = 0;\nint Divide(int x) => 10 / x;\nDivide(zero)"));

        DivideByZeroException error = await Assert.ThrowsAsync<DivideByZeroException>(script.RunHereAsync);

        Assert.Contains("in <eval>:line 2", error.StackTrace, StringComparison.Ordinal);
    }

    [Fact]
    public void An_error_in_eval_text_points_at_its_line_and_column()
    {
        ScriptCompilationException error = Assert.Throws<ScriptCompilationException>(() => _uncached.Compile(ScriptSource.ForEval("var x = 1;\nreturn  missing + x;")));

        CompileError only = Assert.Single(error.Errors);
        Assert.Equal(new CompileError("<eval>", 2, 9, "CS0103", "The name 'missing' does not exist in the current context"), only);
        Assert.Equal("<eval>(2,9): error CS0103: The name 'missing' does not exist in the current context", only.ToString());
    }

    [Fact]
    public void An_error_in_a_single_expression_points_into_it()
    {
        ScriptCompilationException error = Assert.Throws<ScriptCompilationException>(() => _uncached.Compile(ScriptSource.ForEval("1 + missing")));

        Assert.Equal(("<eval>", 1, 5, "CS0103"), Where(Assert.Single(error.Errors)));
    }

    [Fact]
    public void A_syntax_error_points_at_its_place()
    {
        ScriptCompilationException error = Assert.Throws<ScriptCompilationException>(() => _uncached.Compile(ScriptSource.ForEval("var a = 1;\nvar b = (a + ;")));

        Assert.All(error.Errors, e => Assert.Equal(2, e.Line));
        Assert.Contains(error.Errors, e => e.Id == "CS1525" && e.Column == 14);
    }

    [Fact]
    public void A_value_that_is_not_an_object_is_an_error_at_the_expression()
    {
        ScriptCompilationException error = Assert.Throws<ScriptCompilationException>(() => _uncached.Compile(ScriptSource.ForEval("var a = 1;\n  stackalloc int[1]")));

        CompileError first = error.Errors[0];
        Assert.Equal((2, 3), (first.Line, first.Column));
    }

    [Fact]
    public async Task A_script_file_has_usings_variables_methods_and_classes()
    {
        string file = WriteScript("""
            using System.Text;
            using static System.Math;

            var greeting = "hi";
            string Greet(string name) => new StringBuilder(greeting).Append(' ').Append(name).ToString();
            public static int Twice(int x) => x * 2;

            class Box { public int Value; }
            enum Colour { Red, Green }

            var box = new Box { Value = Twice(21) };
            new { text = Greet("there"), box.Value, colour = Colour.Green, root = Sqrt(16) }
            """);

        CompiledScript script = _uncached.Compile(ScriptSource.FromFile(file));

        Assert.Equal("""{"text":"hi there","Value":42,"colour":"Green","root":4}""", await script.RunHereAsync());
        Assert.StartsWith("econtext-script-", script.Assembly.GetName().Name, StringComparison.Ordinal);
    }

    [Fact]
    public void An_error_in_a_script_file_points_at_the_file_line_and_column()
    {
        string file = WriteScript("""
            using System.Text;

            var factor = 3;
            public static int Scale(int x)
            {
                var sb = new StringBuilder();
                return x * factr;
            }

            class Holder
            {
                public int Get() => undefinedThing;
            }

            Scale(2)
            """);

        ScriptCompilationException error = Assert.Throws<ScriptCompilationException>(() => _uncached.Compile(ScriptSource.FromFile(file)));

        Assert.Equal(
            [(file, 7, 16, "CS0103"), (file, 12, 25, "CS0103")],
            error.Errors.Select(Where));
    }

    [Fact]
    public void A_static_script_method_cannot_use_script_variables_and_says_where()
    {
        string file = WriteScript("var factor = 3;\nstatic int Scale(int x) => x * factor;\nScale(2)");

        ScriptCompilationException error = Assert.Throws<ScriptCompilationException>(() => _uncached.Compile(ScriptSource.FromFile(file)));

        Assert.Equal((file, 2, 32, "CS8421"), Where(Assert.Single(error.Errors)));
    }

    [Theory]
    [InlineData("#r \"System.Xml.dll\"\n1", "#r is not supported")]
    [InlineData("#load \"other.csx\"\n1", "#load is not supported")]
    [InlineData("int P { get; set; }\n1", "property cannot be declared")]
    public void Unsupported_script_directives_and_members_are_errors(string text, string message)
    {
        ScriptCompilationException error = Assert.Throws<ScriptCompilationException>(() => _uncached.Compile(ScriptSource.ForEval(text)));

        CompileError only = Assert.Single(error.Errors);
        Assert.Contains(message, only.Message, StringComparison.Ordinal);
        Assert.Equal("<eval>", only.File);
        Assert.Equal((1, 1), (only.Line, only.Column));
    }

    [Fact]
    public async Task The_cache_is_used_the_second_time_and_a_damaged_entry_is_rebuilt()
    {
        var compiler = new ScriptCompiler(_cache);
        ScriptSource source = ScriptSource.ForEval("\"cached \" + 40 + 2");

        CompiledScript first = compiler.Compile(source);
        string entry = Assert.Single(Directory.GetFiles(_cache, "*.dll"));
        CompiledScript second = new ScriptCompiler(_cache).Compile(source);

        Assert.False(first.FromCache);
        Assert.True(second.FromCache);
        Assert.Same(first.Assembly, second.Assembly);
        Assert.Equal("\"cached 402\"", await second.RunHereAsync());

        // A cut file, then a flipped byte: both fail the check and are compiled again.
        byte[] stored = await File.ReadAllBytesAsync(entry);
        await File.WriteAllBytesAsync(entry, stored[..(stored.Length / 2)]);
        Assert.False(compiler.Compile(source).FromCache);
        Assert.Equal(stored, await File.ReadAllBytesAsync(entry));

        stored[stored.Length / 3] ^= 0xff;
        await File.WriteAllBytesAsync(entry, stored);
        Assert.False(compiler.Compile(source).FromCache);
        Assert.True(compiler.Compile(source).FromCache);
        Assert.Single(Directory.GetFiles(_cache));
    }

    [Fact]
    public void Different_text_is_a_different_assembly_and_the_same_text_the_same()
    {
        CompiledScript one = _uncached.Compile(ScriptSource.ForEval("\"one\""));
        CompiledScript two = _uncached.Compile(ScriptSource.ForEval("\"two\""));
        CompiledScript again = _uncached.Compile(ScriptSource.ForEval("\"one\""));

        Assert.NotEqual(one.Assembly.GetName().Name, two.Assembly.GetName().Name);
        Assert.Same(one.Assembly, again.Assembly);
        Assert.StartsWith("econtext-eval-", one.Assembly.GetName().Name, StringComparison.Ordinal);
    }

    private static (string File, int Line, int Column, string Id) Where(CompileError error) => (error.File, error.Line, error.Column, error.Id);

    private async Task<string> Eval(string text) => await _uncached.Compile(ScriptSource.ForEval(text)).RunHereAsync();

    private string WriteScript(string text)
    {
        Directory.CreateDirectory(_cache);
        string path = Path.Combine(_cache, "test.csx");
        File.WriteAllText(path, text);
        return path;
    }
}
