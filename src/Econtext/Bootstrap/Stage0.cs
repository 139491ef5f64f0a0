using System.Text;
using Econtext.Transports;

namespace Econtext.Bootstrap;

/// <summary>
/// The POSIX shell command that starts a context on any target: finds dotnet, writes the loader and
/// its runtimeconfig to tmpfs, prints a marker, and execs the loader (which deletes both files
/// first thing). Works under sh, dash, bash and busybox sh.
/// </summary>
internal static class Stage0
{
    public const string ReadyMarker = Stage0Markers.Ready;
    public const string NoRuntimeMarker = Stage0Markers.NoRuntime;
    public const string NoTempMarker = Stage0Markers.NoTemp;

    /// <summary><see cref="Stage0Markers.RuntimeQuery"/>.</summary>
    public const string RuntimeQueryMarker = Stage0Markers.RuntimeQuery;

    /// <summary><see cref="Stage0Markers.RuntimeSend"/>.</summary>
    public const string RuntimeSendMarker = Stage0Markers.RuntimeSend;

    /// <summary>Begins what stage 0 reports after <see cref="NoRuntimeMarker"/> when it was to receive a shipped runtime and could not keep it.</summary>
    public const string NotKept = "a shipped runtime cannot be kept there:";

    /// <summary>Where a shipped runtime is kept on a target unless the options say otherwise.</summary>
    public const string DefaultRuntimeCache = "${XDG_CACHE_HOME:-${HOME:-/nonexistent}/.cache}/econtext/runtime";

    /// <summary>Where stage 0 looks for dotnet, in order, after an explicit path.</summary>
    public static readonly string[] SearchOrder =
    [
        "$DOTNET_ROOT/dotnet", "dotnet on PATH", "$HOME/.dotnet/dotnet", "/usr/share/dotnet/dotnet", "/usr/lib/dotnet/dotnet",
        "/usr/local/share/dotnet/dotnet", "/opt/dotnet/dotnet",
    ];

    private const string RuntimeConfig =
        "{\"runtimeOptions\":{\"tfm\":\"net10.0\",\"rollForward\":\"LatestMajor\",\"framework\":{\"name\":\"Microsoft.NETCore.App\",\"version\":\"10.0.0\"},"
        + "\"configProperties\":{\"System.Globalization.Invariant\":true,\"System.GC.Concurrent\":false,\"System.Runtime.TieredPGO\":false,\"System.Runtime.TieredCompilation.CallCountingDelayMs\":1000,\"Switch.System.Reflection.ForceInterpretedInvoke\":true}}}";

    /// <summary>
    /// Runs what follows it only when process <c>$p</c> is gone: both sweeps of what killed starts
    /// left (the start files, a runtime half received) judge a pid the same way. A process of
    /// another user is alive too: kill -0 fails for it, but /proc/PID is there.
    /// </summary>
    private const string UnlessAlive = "kill -0 \"$p\" 2>/dev/null||[ -d \"/proc/$p\" ]||";

    private static readonly string s_runtimeConfigPrintf = PrintfFormat(Encoding.UTF8.GetBytes(RuntimeConfig));

    private static readonly Lazy<string> s_loaderPrintf = new(() =>
    {
        using Stream stream = typeof(Stage0).Assembly.GetManifestResourceStream("Econtext.Loader.dll")
            ?? throw new InvalidOperationException("the stage-1 loader is missing from the Econtext assembly's resources");
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        return PrintfFormat(memory.ToArray());
    });

    /// <summary>
    /// Builds the script. On a host with dotnet every command in it is a shell builtin until the final
    /// exec: no fork, no mktemp, no base64 (each fork costs a millisecond or more, several over a slow
    /// link). Only the runtime-shipping part (<see cref="ShippedRuntime"/>) runs other programs.
    /// </summary>
    public static string Build(string? dotnetPath, bool shipRuntime = false, string? runtimeCache = null)
    {
        var script = new StringBuilder(32 * 1024);
        script.Append("d=;");
        if (!string.IsNullOrEmpty(dotnetPath))
        {
            // An explicit path is used or reported, never silently replaced by another runtime.
            string quoted = Quote(dotnetPath);
            script.Append("if [ -f ").Append(quoted).Append(" ]&&[ -x ").Append(quoted).Append(" ];then d=").Append(quoted)
                .Append(";else echo \"").Append(NoRuntimeMarker).Append(" DotnetPath=\"").Append(quoted).Append("\" is not an executable file\";exit 127;fi;");
        }

        script.Append("for c in \"${DOTNET_ROOT:+$DOTNET_ROOT/dotnet}\";do if [ -n \"$d\" ];then break;fi;if [ -n \"$c\" ]&&[ -f \"$c\" ]&&[ -x \"$c\" ];then d=$c;break;fi;done;")
            .Append("if [ -z \"$d\" ];then o=$IFS;IFS=:;set -f;for p in $PATH;do if [ -n \"$p\" ]&&[ -f \"$p/dotnet\" ]&&[ -x \"$p/dotnet\" ];then d=$p/dotnet;break;fi;done;set +f;IFS=$o;fi;")
            .Append("if [ -z \"$d\" ];then for c in \"${HOME:-/nonexistent}/.dotnet/dotnet\" /usr/share/dotnet/dotnet /usr/lib/dotnet/dotnet /usr/local/share/dotnet/dotnet /opt/dotnet/dotnet;do ")
            .Append("if [ -f \"$c\" ]&&[ -x \"$c\" ];then d=$c;break;fi;done;fi;")
            .Append(shipRuntime && string.IsNullOrEmpty(dotnetPath) ? ShippedRuntime(runtimeCache) : string.Empty)
            .Append("if [ -z \"$d\" ];then echo \"").Append(NoRuntimeMarker).Append(" PATH=$PATH DOTNET_ROOT=${DOTNET_ROOT:-} HOME=${HOME:-}\";exit 127;fi;")
            // The login's umask, read without a fork (Linux's /proc; a fork elsewhere), is given back
            // before the exec: the context's files (copies, what its commands write) get what the
            // user's own would, 0644 and 0755 usually, not the 0600 and 0700 of the lines below.
            .Append("u=;while read -r k v;do if [ \"$k\" = Umask: ];then u=$v;break;fi;done 2>/dev/null </proc/$$/status;[ -n \"$u\" ]||u=$(umask);")
            // A private name (pid) written with noclobber under umask 077: a file planted under that
            // name in a shared directory makes the write fail instead of being followed.
            .Append("umask 077;set -C;t=;for b in \"${XDG_RUNTIME_DIR:-}\" /dev/shm \"${TMPDIR:-/tmp}\" /tmp;do ")
            .Append("if [ -n \"$b\" ]&&[ -d \"$b\" ]&&[ -w \"$b\" ];then t=$b/econtext.$$;")
            // The core deletes these two files first thing; a start killed before that (SIGKILL,
            // a connect given up during the runtime's start) leaves them. Left ones whose process
            // is gone are removed here, and so are any under this shell's own pid (this process
            // is that pid, so they can only be left ones), which a reused pid would otherwise meet
            // in every directory and fail to start on (UnlessAlive: a process of another user
            // counts as alive). rm forks only when there is something to remove.
            .Append("for o in \"$b\"/econtext.*.dll \"$b\"/econtext.*.json;do p=${o##*/econtext.};p=${p%.*};")
            .Append("if [ -f \"$o\" ]&&[ \"$p\" -gt 0 ] 2>/dev/null;then if [ \"$p\" -eq $$ ];then rm -f \"$o\" 2>/dev/null;")
            .Append("else ").Append(UnlessAlive).Append("rm -f \"$o\" 2>/dev/null;fi;fi;done;")
            .Append("{ printf \"").Append(s_loaderPrintf.Value).Append("\" >\"$t.dll\"&&printf \"").Append(s_runtimeConfigPrintf).Append("\" >\"$t.json\";} 2>/dev/null&&break;t=;fi;done;")
            .Append("if [ -z \"$t\" ];then echo ").Append(NoTempMarker).Append(";exit 1;fi;")
            .Append("echo ").Append(ReadyMarker).Append(';')
            .Append(RuntimeDiagnostics.Stage0Script)
            .Append("umask $u;exec \"$d\" exec --runtimeconfig \"$t.json\" \"$t.dll\" \"$t\"");
        return script.ToString();
    }

    /// <summary>
    /// Only reached when no dotnet was found: asks the parent which runtime it would send, uses the
    /// cached copy when its checksums still match, and otherwise receives the archive into a private
    /// folder beside the cache, verifies every file's SHA-256, and renames it into place under a lock
    /// (mkdir), so concurrent first connections never see or make a half-written runtime. These are
    /// the only forks stage 0 ever makes, and only on a host without .NET.
    /// </summary>
    private static string ShippedRuntime(string? runtimeCache)
    {
        string cache = string.IsNullOrEmpty(runtimeCache) ? DefaultRuntimeCache
            : runtimeCache.StartsWith("~/", StringComparison.Ordinal) ? "${HOME:-/nonexistent}/" + Quote(runtimeCache[2..])
            : Quote(runtimeCache);
        return new StringBuilder(1024)
            // A musl libc (Alpine) cannot run a glibc build of the runtime: say which one the host has.
            .Append("if [ -z \"$d\" ];then l=glibc;for f in /lib/ld-musl-*;do [ -e \"$f\" ]&&l=musl;done;")
            .Append("echo \"").Append(RuntimeQueryMarker).Append(" $(uname -sm 2>/dev/null) $l\";IFS= read -r n||exit 1;")
            .Append("case $n in \"\"|-*|*/*) echo \"").Append(NoRuntimeMarker).Append(" ${n#-}; PATH=$PATH DOTNET_ROOT=${DOTNET_ROOT:-} HOME=${HOME:-}\";exit 127;;esac;")
            .Append("b=").Append(cache).Append(';')
            // A cache that cannot be written (a read-only root file system, as in a container run
            // with --read-only, or a HOME that does not exist) and does not hold this runtime already:
            // a private folder of this user's under TMPDIR or /tmp instead (a tmpfs in such a
            // container, and not noexec there, unlike /dev/shm), refused if anyone else owns it.
            .Append("if [ -f \"$b/$n/.complete\" ]||{ mkdir -p \"$b\"&&[ -w \"$b\" ];} 2>/dev/null;then :;else ")
            .Append("f=${TMPDIR:-/tmp}/econtext-runtime.$(id -u 2>/dev/null);mkdir -m 700 \"$f\" 2>/dev/null;")
            .Append("if [ -d \"$f\" ]&&[ -O \"$f\" ]&&[ -w \"$f\" ];then [ -h \"$f\" ]||b=$f;fi;fi;")
            .Append("r=$b/$n;")
            // A copy being received whose stage 0 was killed (OOM, reboot, SIGKILL) is left as
            // .new.PID: cleared once no process has that pid. A copy of a live connection (one being
            // written, or one it runs from because the lock was busy) is never touched. No fork
            // unless there is something to delete (UnlessAlive).
            .Append("for o in \"$b\"/.new.*;do p=${o##*.};if [ -d \"$o\" ]&&[ \"$p\" -gt 0 ] 2>/dev/null&&[ \"$p\" -ne $$ ];then ").Append(UnlessAlive).Append("rm -rf \"$o\";fi;done;")
            .Append("k(){ ( [ -f \"$1/.complete\" ]&&cd \"$1\"&&. ./.complete&&[ \"$(cksum $f 2>/dev/null)\" = \"$e\" ] ) 2>/dev/null;};")
            .Append("if k \"$r\";then d=$r/dotnet;else ")
            .Append("mkdir -p \"$b\" 2>/dev/null;t=$b/.new.$$;rm -rf \"$t\";")
            .Append("mkdir \"$t\" 2>/dev/null||{ echo \"").Append(NoRuntimeMarker).Append(' ').Append(NotKept).Append(" cannot create $t to receive it into: neither the runtime cache (RuntimeCacheDirectory) nor a private folder under ${TMPDIR:-/tmp} can be written (read-only or full?)\";exit 127;};")
            .Append("echo ").Append(RuntimeSendMarker).Append(";IFS= read -r z||exit 1;head -c \"$z\"|gzip -dc|tar -xf - -C \"$t\";")
            .Append("if (cd \"$t\"&&sha256sum -c .sha256 >/dev/null&&. ./.files&&e=$(cksum $f)&&printf \"f=\\047%s\\047\\ne=\\047%s\\047\\n\" \"$f\" \"$e\" >.complete);then ")
            // A lock left by a killed connection is cleared after two minutes.
            .Append("find \"$b\" -maxdepth 1 -name \"$n.lock\" -mmin +2 -exec rmdir {} \\; 2>/dev/null;")
            .Append("if mkdir \"$r.lock\" 2>/dev/null;then if k \"$r\";then rm -rf \"$t\";else rm -rf \"$r\";mv \"$t\" \"$r\";fi;rmdir \"$r.lock\";d=$r/dotnet;else d=$t/dotnet;fi;")
            .Append("else rm -rf \"$t\";echo \"").Append(NoRuntimeMarker).Append(' ').Append(NotKept).Append(" what was received into $t did not verify (sha256sum -c failed: disk full? are gzip, tar, head, sha256sum and cksum there?)\";exit 127;fi;")
            .Append("fi;fi;")
            .ToString();
    }

    /// <summary>
    /// Bytes as a printf format for a double-quoted word: printable ASCII as is, everything else as a
    /// 3-digit octal escape. The quotes, backslash and the characters sh expands inside double quotes
    /// ($ and `) are escaped too, and so is '!' (csh's history character), so the script stays one
    /// word that every login shell reads the same way (see <see cref="Transports.SshCommand"/>).
    /// </summary>
    private static string PrintfFormat(byte[] bytes)
    {
        var format = new StringBuilder(bytes.Length * 3);
        foreach (byte b in bytes)
        {
            if (b >= 0x20 && b < 0x7f && b is not ((byte)'\'' or (byte)'"' or (byte)'\\' or (byte)'%' or (byte)'$' or (byte)'`' or (byte)'!'))
            {
                format.Append((char)b);
            }
            else
            {
                format.Append('\\').Append((char)('0' + (b >> 6))).Append((char)('0' + ((b >> 3) & 7))).Append((char)('0' + (b & 7)));
            }
        }

        return format.ToString();
    }

    /// <summary>
    /// Double-quotes a word for sh. Double rather than single quotes: the whole script is sent as one
    /// single-quoted word where it can be, which no single quote inside may break.
    /// </summary>
    public static string Quote(string value)
    {
        var quoted = new StringBuilder(value.Length + 2).Append('"');
        foreach (char c in value)
        {
            quoted.Append(c is '"' or '\\' or '$' or '`' ? "\\" + c : c.ToString());
        }

        return quoted.Append('"').ToString();
    }
}
