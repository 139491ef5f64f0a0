using System.Collections.Immutable;
using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Emit;

namespace Econtext.Cli.Scripting;

/// <summary>
/// Compiles <c>econtext eval</c> text and <c>.csx</c> files, once, on the master, into an assembly
/// that exists only in memory and is sent to targets like any other. Errors name the user's file,
/// line and column, and are found before anything connects.
/// </summary>
internal sealed class ScriptCompiler
{
    private const string GeneratedFileName = "<econtext-generated>";

    private static readonly CSharpParseOptions s_scriptParse = new(LanguageVersion.Latest, kind: SourceCodeKind.Script);
    private static readonly CSharpParseOptions s_regularParse = new(LanguageVersion.Latest);

    private static readonly CSharpCompilationOptions s_options = new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary)
        .WithOptimizationLevel(OptimizationLevel.Release)
        .WithNullableContextOptions(NullableContextOptions.Disable)
        .WithAllowUnsafe(false)
        .WithDeterministic(true)
        .WithConcurrentBuild(true);

    // Embedded symbols make a script's exceptions show its own file and line, in a target too.
    private static readonly EmitOptions s_emit = new(debugInformationFormat: DebugInformationFormat.Embedded);

    private static readonly Lazy<ImmutableArray<MetadataReference>> s_references = new(LoadReferences);
    private static readonly Lazy<string> s_toolIdentity = new(ToolIdentity);

    private readonly ScriptCache? _cache;

    /// <summary>A compiler using the cache folder the environment chooses (see <see cref="ScriptCache.DefaultDirectory"/>).</summary>
    public ScriptCompiler()
        : this(ScriptCache.DefaultDirectory())
    {
    }

    /// <summary>A compiler caching images in <paramref name="cacheDirectory"/>, or not at all when null.</summary>
    public ScriptCompiler(string? cacheDirectory)
    {
        _cache = cacheDirectory is null ? null : new ScriptCache(cacheDirectory);
    }

    public string? CacheDirectory => _cache?.Directory;

    /// <summary>Compiles (or takes from the cache) and loads the script.</summary>
    /// <exception cref="ScriptCompilationException">The script has errors.</exception>
    public CompiledScript Compile(ScriptSource source)
    {
        ArgumentNullException.ThrowIfNull(source);

        // Names come from the user's text, so the same script is the same assembly in every run.
        string identity = $"{source.Kind}\n{source.FileName}\n{source.Text}";
        string digest = Hex(SHA256.HashData(Encoding.UTF8.GetBytes(identity)))[..16];
        string assemblyName = (source.Kind == ScriptKind.Eval ? "econtext-eval-" : "econtext-script-") + digest;
        string className = "EcontextScript_" + digest;

        // The generated source is a function of the text and this build of the tool, so the key can
        // be computed without parsing: a cached script costs no Roslyn at all (about 400 ms saved).
        string key = Hex(SHA256.HashData(Encoding.UTF8.GetBytes(identity + "\n" + s_toolIdentity.Value)));
        byte[]? image = _cache?.TryRead(key);
        bool fromCache = image is not null;
        if (image is null)
        {
            image = Build(source, assemblyName, className);
            _cache?.Write(key, image);
        }

        Assembly assembly = InMemoryAssemblies.Load(image);
        MethodInfo entry = assembly.GetType(className, throwOnError: true)!.GetMethod("Run", BindingFlags.Public | BindingFlags.Static)!;
        return new CompiledScript(assembly, entry, fromCache);
    }

    private static byte[] Build(ScriptSource source, string assemblyName, string className)
    {
        SyntaxTree userTree = CSharpSyntaxTree.ParseText(source.Text, s_scriptParse, path: source.FileName);
        var root = (CompilationUnitSyntax)userTree.GetRoot();
        List<Diagnostic> problems = [.. userTree.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error)];
        problems.AddRange(ScriptGenerator.Unsupported(root));
        if (problems.Count > 0)
        {
            throw Failed(problems, source);
        }

        GeneratedScript generated = ScriptGenerator.Generate(root, className, lastExpressionIsStatement: false);
        CSharpCompilation compilation = Create(generated, assemblyName);
        if (generated.ValueExpression is { } span)
        {
            // A final expression of type void (Console.WriteLine("hi")) has no value: run it as a statement.
            SyntaxTree tree = compilation.SyntaxTrees[0];
            SyntaxNode found = tree.GetRoot().FindNode(span);
            ExpressionSyntax? expression = found.AncestorsAndSelf().OfType<ExpressionSyntax>().FirstOrDefault(e => e.Span == span);
            ITypeSymbol? type = expression is null ? null : compilation.GetSemanticModel(tree).GetTypeInfo(expression).Type;
            if (type?.SpecialType == SpecialType.System_Void)
            {
                compilation = Create(ScriptGenerator.Generate(root, className, lastExpressionIsStatement: true), assemblyName);
            }
        }

        using var stream = new MemoryStream();
        EmitResult result = compilation.Emit(stream, options: s_emit);
        if (!result.Success)
        {
            throw Failed([.. result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)], source);
        }

        return stream.ToArray();
    }

    private static CSharpCompilation Create(GeneratedScript generated, string assemblyName) =>
        CSharpCompilation.Create(
            assemblyName,
            [CSharpSyntaxTree.ParseText(generated.Source, s_regularParse, path: GeneratedFileName, encoding: Encoding.UTF8)],
            s_references.Value,
            s_options);

    private static ScriptCompilationException Failed(IEnumerable<Diagnostic> diagnostics, ScriptSource source) =>
        new([.. diagnostics
            .OrderBy(d => d.Location.GetMappedLineSpan().StartLinePosition)
            .Select(d => ToError(d, source))
            .Distinct()]);

    private static CompileError ToError(Diagnostic diagnostic, ScriptSource source)
    {
        string message = diagnostic.GetMessage(CultureInfo.InvariantCulture);
        FileLinePositionSpan span = diagnostic.Location.GetMappedLineSpan();
        bool inUserText = diagnostic.Location.IsInSource
            && (span.HasMappedPath || diagnostic.Location.SourceTree?.FilePath == source.FileName);
        if (!inUserText)
        {
            // Only the wrapper around the script is left; say so rather than point at a made-up line.
            return new CompileError(source.FileName, 1, 1, diagnostic.Id, message + " (in the code econtext wraps around the script)");
        }

        return new CompileError(source.FileName, span.StartLinePosition.Line + 1, span.StartLinePosition.Character + 1, diagnostic.Id, message);
    }

    /// <summary>The running runtime's framework, and Econtext with what its public API names.</summary>
    private static ImmutableArray<MetadataReference> LoadReferences()
    {
        string runtime = Path.TrimEndingDirectorySeparator(RuntimeEnvironment.GetRuntimeDirectory());
        var paths = new SortedSet<string>(StringComparer.Ordinal);
        string trusted = AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") as string ?? "";
        foreach (string path in trusted.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            // Only the framework: the tool's own packages (Roslyn, the terminal library) are not the script's.
            if (string.Equals(Path.GetDirectoryName(path), runtime, StringComparison.Ordinal))
            {
                paths.Add(path);
            }
        }

        Assembly econtext = typeof(Context).Assembly;
        paths.Add(econtext.Location);
        foreach (AssemblyName reference in econtext.GetReferencedAssemblies())
        {
            try
            {
                string location = Assembly.Load(reference).Location;
                if (location.Length > 0)
                {
                    paths.Add(location);
                }
            }
            catch (Exception ex) when (ex is FileNotFoundException or FileLoadException or BadImageFormatException)
            {
                // Econtext references it without needing it here; neither does a script.
            }
        }

        return [.. paths.Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))];
    }

    /// <summary>What decides the image besides the text: the compiler, the generator (this tool), the library, the runtime.</summary>
    private static string ToolIdentity()
    {
        static string Mvid(Type type) => type.Assembly.ManifestModule.ModuleVersionId.ToString("N");
        string roslyn = typeof(CSharpCompilation).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "";
        return $"roslyn {roslyn}; tool {Mvid(typeof(ScriptCompiler))}; econtext {Mvid(typeof(Context))}; {RuntimeInformation.FrameworkDescription}";
    }

    private static string Hex(byte[] bytes) => Convert.ToHexStringLower(bytes);
}
