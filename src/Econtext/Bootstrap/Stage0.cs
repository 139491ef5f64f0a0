using System.Text;

namespace Econtext.Bootstrap;

/// <summary>
/// The POSIX shell command that starts a context on any target: finds dotnet, writes the loader and
/// its runtimeconfig to a private folder on tmpfs, prints a marker, and execs the loader (which
/// deletes the folder first thing). Works under sh, dash, bash and busybox sh.
/// </summary>
internal static class Stage0
{
    public const string ReadyMarker = "ECONTEXT-STAGE0-OK";
    public const string NoRuntimeMarker = "ECONTEXT-NO-RUNTIME";
    public const string NoTempMarker = "ECONTEXT-NO-TEMP";

    /// <summary>Where stage 0 looks for dotnet, in order, after an explicit path.</summary>
    public static readonly string[] SearchOrder =
    [
        "$DOTNET_ROOT/dotnet", "dotnet on PATH", "$HOME/.dotnet/dotnet", "/usr/share/dotnet/dotnet", "/usr/lib/dotnet/dotnet",
        "/usr/local/share/dotnet/dotnet", "/opt/dotnet/dotnet",
    ];

    private const string RuntimeConfig =
        "{\"runtimeOptions\":{\"tfm\":\"net10.0\",\"rollForward\":\"LatestMajor\",\"framework\":{\"name\":\"Microsoft.NETCore.App\",\"version\":\"10.0.0\"},"
        + "\"configProperties\":{\"System.Globalization.Invariant\":true,\"System.GC.Concurrent\":false,\"System.Runtime.TieredPGO\":false}}}";

    private static readonly Lazy<string> s_loaderBase64 = new(() =>
    {
        using Stream stream = typeof(Stage0).Assembly.GetManifestResourceStream("Econtext.Loader.dll")
            ?? throw new InvalidOperationException("the stage-1 loader is missing from the Econtext assembly's resources");
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        return Convert.ToBase64String(memory.ToArray());
    });

    public static string Build(string? dotnetPath)
    {
        var script = new StringBuilder(16 * 1024);
        script.Append("d=;for c in ");
        if (!string.IsNullOrEmpty(dotnetPath))
        {
            script.Append(Quote(dotnetPath)).Append(' ');
        }

        script.Append("\"${DOTNET_ROOT:+$DOTNET_ROOT/dotnet}\" \"$(command -v dotnet 2>/dev/null)\" \"${HOME:-/nonexistent}/.dotnet/dotnet\" ")
            .Append("/usr/share/dotnet/dotnet /usr/lib/dotnet/dotnet /usr/local/share/dotnet/dotnet /opt/dotnet/dotnet;do ")
            .Append("if [ -n \"$c\" ]&&[ -f \"$c\" ]&&[ -x \"$c\" ];then d=$c;break;fi;done;")
            .Append("if [ -z \"$d\" ];then echo \"").Append(NoRuntimeMarker).Append(" PATH=$PATH DOTNET_ROOT=${DOTNET_ROOT:-} HOME=${HOME:-}\";exit 127;fi;")
            .Append("t=;for b in \"${XDG_RUNTIME_DIR:-}\" /dev/shm \"${TMPDIR:-/tmp}\" /tmp;do ")
            .Append("if [ -n \"$b\" ]&&[ -d \"$b\" ]&&[ -w \"$b\" ];then t=$(mktemp -d \"$b/econtext.XXXXXX\" 2>/dev/null)&&break;fi;t=;done;")
            .Append("if [ -z \"$t\" ];then echo ").Append(NoTempMarker).Append(";exit 1;fi;")
            .Append("echo '").Append(s_loaderBase64.Value).Append("'|base64 -d >\"$t/l.dll\"&&")
            .Append("printf '%s' '").Append(RuntimeConfig).Append("' >\"$t/l.json\"||exit 1;")
            .Append("echo ").Append(ReadyMarker).Append(';')
            .Append("exec \"$d\" exec --runtimeconfig \"$t/l.json\" \"$t/l.dll\" \"$t\"");
        return script.ToString();
    }

    /// <summary>Single-quotes a word for sh.</summary>
    public static string Quote(string value) => "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
