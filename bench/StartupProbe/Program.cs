using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Econtext;
using Econtext.StartupProbe;

// Run by bench/startup-profile, which explains the figures. Modes:
//   measure N         sections 1 and 2 of the report (wall, CPU, threads, VmHWM)
//   starts N PIDFILE  N context starts for perf to sample; writes the master's and children's pids
//   jit FILE          one context with the JIT's method summary written to FILE; section 4
//   fanout N SSH_CONFIG HOST   N ssh contexts at once and a call each (bench/fanout-profile)
string mode = args.Length > 0 ? args[0] : "measure";
switch (mode)
{
    case "measure":
        await Measure.RunAsync(int.Parse(args[1], CultureInfo.InvariantCulture));
        break;
    case "starts":
        await Starts.RunAsync(int.Parse(args[1], CultureInfo.InvariantCulture), args[2]);
        break;
    case "jit":
        await JitList.RunAsync(args[1]);
        break;
    case "fanout":
        await FanOutRun.RunAsync(int.Parse(args[1], CultureInfo.InvariantCulture), args[2], args[3]);
        break;
    default:
        Console.Error.WriteLine("usage: StartupProbe measure N | starts N PIDFILE | jit FILE | fanout N SSH_CONFIG HOST");
        return 2;
}

return 0;

namespace Econtext.StartupProbe
{
    /// <summary>What the contexts run. It must live in this assembly, which the master pushes to each child.</summary>
    public static class Workload
    {
        public static int Ping() => 1;
    }

    /// <summary>A process's CPU, threads and peak RSS, read from /proc while it is still alive.</summary>
    internal sealed record ProcSnapshot(double UserMs, double SysMs, double SchedMs, int Threads, long VmHwmKib, Dictionary<string, (int Count, double Ms)> ByThread)
    {
        public double StatMs => UserMs + SysMs;

        public static ProcSnapshot Read(int pid)
        {
            // utime and stime count every thread, including those that have exited, but only in clock
            // ticks (10 ms); schedstat is in nanoseconds but only for the threads still alive. Both are
            // kept so one can check the other.
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            double tick = 1000.0 / Native.ClockTicksPerSecond;
            double user = long.Parse(fields[11], CultureInfo.InvariantCulture) * tick;
            double sys = long.Parse(fields[12], CultureInfo.InvariantCulture) * tick;

            var byThread = new Dictionary<string, (int Count, double Ms)>();
            double sched = 0;
            foreach (string task in Directory.GetDirectories($"/proc/{pid}/task"))
            {
                try
                {
                    string name = File.ReadAllText(Path.Combine(task, "comm")).TrimEnd('\n');
                    if (Path.GetFileName(task) == pid.ToString(CultureInfo.InvariantCulture))
                    {
                        name = "main thread (" + name + ")";
                    }

                    double ms = long.Parse(File.ReadAllText(Path.Combine(task, "schedstat")).Split(' ')[0], CultureInfo.InvariantCulture) / 1e6;
                    sched += ms;
                    byThread[name] = byThread.TryGetValue(name, out var seen) ? (seen.Count + 1, seen.Ms + ms) : (1, ms);
                }
                catch (IOException)
                {
                    // The thread ended between the listing and the read.
                }
            }

            int threads = 0;
            long hwm = 0;
            foreach (string line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("Threads:", StringComparison.Ordinal))
                {
                    threads = int.Parse(line[8..].Trim(), CultureInfo.InvariantCulture);
                }
                else if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    hwm = long.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
                }
            }

            return new ProcSnapshot(user, sys, sched, threads, hwm, byThread);
        }
    }

    internal static partial class Native
    {
        private const int ScClkTck = 2;
        public const int RusageSelf = 0;
        public const int RusageChildren = -1;

        [StructLayout(LayoutKind.Sequential)]
        public struct Rusage
        {
            public long UtimeSec;
            public long UtimeUsec;
            public long StimeSec;
            public long StimeUsec;
            public long MaxRssKib;
            public long Ixrss;
            public long Idrss;
            public long Isrss;
            public long Minflt;
            public long Majflt;
            public long Nswap;
            public long Inblock;
            public long Oublock;
            public long Msgsnd;
            public long Msgrcv;
            public long Nsignals;
            public long Nvcsw;
            public long Nivcsw;

            public readonly double CpuMs => ((UtimeSec + StimeSec) * 1000.0) + ((UtimeUsec + StimeUsec) / 1000.0);
        }

        public static long ClockTicksPerSecond { get; } = SysConf(ScClkTck);

        public static Rusage Usage(int who)
        {
            if (GetRusage(who, out Rusage usage) != 0)
            {
                throw new InvalidOperationException("getrusage failed");
            }

            return usage;
        }

        [LibraryImport("libc", EntryPoint = "getrusage")]
        private static partial int GetRusage(int who, out Rusage usage);

        [LibraryImport("libc", EntryPoint = "sysconf")]
        private static partial long SysConf(int name);
    }

    internal static class Stats
    {
        public static double Median(IEnumerable<double> values)
        {
            double[] sorted = values.Order().ToArray();
            int mid = sorted.Length / 2;
            return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
        }

        public static string F(double value) => value.ToString("0.0", CultureInfo.InvariantCulture);
    }

    /// <summary>The runtime floor as bench/Econtext.Bench/RuntimeFloor.cs makes it: `dotnet exec` of our loader.</summary>
    internal sealed class Floor : IDisposable
    {
        private readonly string _config = Path.Combine(Path.GetTempPath(), $"startup-probe-{Environment.ProcessId}.json");

        private Floor(string loader)
        {
            Loader = loader;
            File.WriteAllText(_config, "{\"runtimeOptions\":{\"tfm\":\"net10.0\",\"rollForward\":\"LatestMajor\",\"framework\":{\"name\":\"Microsoft.NETCore.App\",\"version\":\"10.0.0\"},\"configProperties\":{\"System.Globalization.Invariant\":true}}}");
        }

        public string Loader { get; }

        public static Floor? Create()
        {
            for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, "src", "Econtext.Loader", "bin", "Release", "net10.0", "Econtext.Loader.dll");
                if (File.Exists(candidate))
                {
                    return new Floor(candidate);
                }
            }

            return null;
        }

        public Process Start()
        {
            var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardInput = true };
            foreach (string argument in (string[])["exec", "--runtimeconfig", _config, Loader])
            {
                start.ArgumentList.Add(argument);
            }

            return Process.Start(start)!;
        }

        /// <summary>One run exactly as bench/run times it: stdin closed at once, so Main returns on its first read.</summary>
        public async Task<(double WallMs, double CpuMs)> RunClosedAsync()
        {
            Native.Rusage before = Native.Usage(Native.RusageChildren);
            var watch = Stopwatch.StartNew();
            using (Process process = Start())
            {
                process.StandardInput.Close();
                await process.WaitForExitAsync();
            }

            double wall = watch.Elapsed.TotalMilliseconds;
            return (wall, Native.Usage(Native.RusageChildren).CpuMs - before.CpuMs);
        }

        /// <summary>
        /// One run with stdin left open, read from /proc once the loader's main thread blocks reading
        /// fd 0: the state the runtime is in when our code could first start working.
        /// </summary>
        public async Task<ProcSnapshot?> SnapshotAtFirstReadAsync()
        {
            using Process process = Start();
            try
            {
                var deadline = Stopwatch.StartNew();
                while (deadline.Elapsed < TimeSpan.FromSeconds(5))
                {
                    // /proc/PID/syscall starts "0 0x0" while the thread is in read(0, ...) on x86-64.
                    string syscall = File.ReadAllText($"/proc/{process.Id}/syscall");
                    if (syscall.StartsWith("0 0x0 ", StringComparison.Ordinal))
                    {
                        return ProcSnapshot.Read(process.Id);
                    }

                    await Task.Delay(1);
                }

                return null;
            }
            finally
            {
                process.StandardInput.Close();
                await process.WaitForExitAsync();
            }
        }

        public void Dispose() => File.Delete(_config);
    }

    internal static class Measure
    {
        public static async Task RunAsync(int runs)
        {
            // The floor goes first: RUSAGE_CHILDREN's maxrss is the largest child so far, so it is the
            // floor's own only while no context has run yet.
            var floorWall = new List<double>();
            var floorCpu = new List<double>();
            ProcSnapshot? floorSnap = null;
            long floorMaxRss = 0;
            using (Floor? floor = Floor.Create())
            {
                if (floor is not null)
                {
                    for (int i = 0; i < runs; i++)
                    {
                        (double wall, double cpu) = await floor.RunClosedAsync();
                        floorWall.Add(wall);
                        floorCpu.Add(cpu);
                    }

                    floorMaxRss = Native.Usage(Native.RusageChildren).MaxRssKib;
                    floorSnap = await floor.SnapshotAtFirstReadAsync();
                }
            }

            var wallMs = new List<double>();
            var snaps = new List<ProcSnapshot>();
            double childrenLifeMs;
            double masterMs;
            await using (var router = new Router())
            {
                // Warm the master once, so the figures are those of a context, not of this process's JIT.
                Context warm = await router.LocalAsync();
                await warm.CallAsync(() => Workload.Ping());
                await warm.ShutdownAsync();

                Native.Rusage childrenBefore = Native.Usage(Native.RusageChildren);
                Native.Rusage selfBefore = Native.Usage(Native.RusageSelf);
                for (int i = 0; i < runs; i++)
                {
                    var watch = Stopwatch.StartNew();
                    Context context = await router.LocalAsync();
                    await context.CallAsync(() => Workload.Ping());
                    wallMs.Add(watch.Elapsed.TotalMilliseconds);
                    snaps.Add(ProcSnapshot.Read(context.RemoteProcessId));
                    await context.ShutdownAsync();
                }

                masterMs = (Native.Usage(Native.RusageSelf).CpuMs - selfBefore.CpuMs) / runs;

                // A context's process may be reaped a moment after ShutdownAsync returns.
                await Task.Delay(200);
                childrenLifeMs = (Native.Usage(Native.RusageChildren).CpuMs - childrenBefore.CpuMs) / runs;
            }

            var o = new StringBuilder();
            o.AppendLine(CultureInfo.InvariantCulture, $"## 1. Wall time (median of {runs})");
            o.AppendLine();
            o.AppendLine("| | median ms | min | max |");
            o.AppendLine("|---|---|---|---|");
            o.AppendLine(CultureInfo.InvariantCulture, $"| local connect + first call | {Stats.F(Stats.Median(wallMs))} | {Stats.F(wallMs.Min())} | {Stats.F(wallMs.Max())} |");
            if (floorWall.Count > 0)
            {
                o.AppendLine(CultureInfo.InvariantCulture, $"| runtime floor: `dotnet exec` of the loader, stdin closed | {Stats.F(Stats.Median(floorWall))} | {Stats.F(floorWall.Min())} | {Stats.F(floorWall.Max())} |");
                o.AppendLine(CultureInfo.InvariantCulture, $"| difference of the medians (Econtext's own part) | {Stats.F(Stats.Median(wallMs) - Stats.Median(floorWall))} | | |");
            }
            else
            {
                o.AppendLine("| runtime floor | not measured: src/Econtext.Loader/bin/Release/net10.0/Econtext.Loader.dll not found | | |");
            }

            o.AppendLine();
            o.AppendLine("## 2. CPU, threads and peak RSS per start");
            o.AppendLine();
            o.AppendLine("| process, when | CPU user+sys ms | of which sys | threads | VmHWM KiB |");
            o.AppendLine("|---|---|---|---|---|");
            o.AppendLine(CultureInfo.InvariantCulture, $"| child, after its first call: /proc stat utime+stime (mean; 10 ms ticks) | {Stats.F(snaps.Average(s => s.StatMs))} | {Stats.F(snaps.Average(s => s.SysMs))} | {Stats.Median(snaps.Select(s => (double)s.Threads))} (median) | {Stats.Median(snaps.Select(s => (double)s.VmHwmKib))} (median) |");
            o.AppendLine(CultureInfo.InvariantCulture, $"| child, after its first call: schedstat of live threads (median; ns) | {Stats.F(Stats.Median(snaps.Select(s => s.SchedMs)))} | | | |");
            o.AppendLine(CultureInfo.InvariantCulture, $"| child, whole life incl. shutdown: RUSAGE_CHILDREN delta / {runs} | {Stats.F(childrenLifeMs)} | | | |");
            if (floorCpu.Count > 0)
            {
                o.AppendLine(CultureInfo.InvariantCulture, $"| floor, whole life (stdin closed): RUSAGE_CHILDREN per run (median) | {Stats.F(Stats.Median(floorCpu))} | | | {floorMaxRss} (max of runs) |");
            }

            if (floorSnap is not null)
            {
                o.AppendLine(CultureInfo.InvariantCulture, $"| floor, blocked on its first read of stdin: /proc stat (one run) | {Stats.F(floorSnap.StatMs)} (schedstat {Stats.F(floorSnap.SchedMs)}) | {Stats.F(floorSnap.SysMs)} | {floorSnap.Threads} | {floorSnap.VmHwmKib} |");
            }

            o.AppendLine(CultureInfo.InvariantCulture, $"| master, per context start: RUSAGE_SELF delta / {runs} | {Stats.F(masterMs)} | | | |");
            o.AppendLine();
            o.AppendLine("Child threads alive after the first call, CPU from schedstat (mean per child):");
            o.AppendLine();
            o.AppendLine("| thread name | threads | CPU ms |");
            o.AppendLine("|---|---|---|");
            var names = snaps.SelectMany(s => s.ByThread).GroupBy(kv => kv.Key)
                .Select(g => (Name: g.Key, Count: g.Sum(kv => kv.Value.Count) / (double)runs, Ms: g.Sum(kv => kv.Value.Ms) / runs))
                .OrderByDescending(t => t.Ms);
            foreach (var (name, count, ms) in names)
            {
                o.AppendLine(CultureInfo.InvariantCulture, $"| `{name}` | {count:0.#} | {Stats.F(ms)} |");
            }

            Console.Write(o.ToString());
        }
    }

    internal static class Starts
    {
        public static async Task RunAsync(int runs, string pidFile)
        {
            await using var router = new Router();
            Context warm = await router.LocalAsync();
            await warm.CallAsync(() => Workload.Ping());
            await warm.ShutdownAsync();

            var lines = new List<string> { $"master {Environment.ProcessId}" };
            for (int i = 0; i < runs; i++)
            {
                Context context = await router.LocalAsync();
                await context.CallAsync(() => Workload.Ping());
                lines.Add($"child {context.RemoteProcessId}");
                await context.ShutdownAsync();
            }

            await File.WriteAllLinesAsync(pidFile, lines);
        }
    }

    internal static class JitList
    {
        public static async Task RunAsync(string file)
        {
            File.Delete(file);
            await using (var router = new Router())
            {
                var env = new Dictionary<string, string> { ["DOTNET_JitStdOutFile"] = file, ["DOTNET_JitDisasmSummary"] = "1" };
                Context context = await router.LocalAsync(new LocalOptions { Environment = env });
                await context.CallAsync(() => Workload.Ping());
                await context.ShutdownAsync();
            }

            // Lines look like: "  12: JIT compiled Ns.Type`1[int]:Method(args) [Tier0, IL size=16, code size=135]".
            var methods = new List<(string Method, string Tier)>();
            foreach (string line in File.ReadLines(file))
            {
                int at = line.IndexOf("JIT compiled ", StringComparison.Ordinal);
                int bracket = line.LastIndexOf(" [", StringComparison.Ordinal);
                if (at < 0 || bracket < at)
                {
                    continue;
                }

                string tier = line[(bracket + 2)..];
                tier = tier[..tier.IndexOf(',', StringComparison.Ordinal)];
                methods.Add((line[(at + 13)..bracket], tier));
            }

            var o = new StringBuilder();
            o.AppendLine(CultureInfo.InvariantCulture, $"## 4. Methods the JIT compiled in one child (start + one call): {methods.Count}");
            o.AppendLine();
            o.AppendLine("| tier | methods |");
            o.AppendLine("|---|---|");
            foreach (var g in methods.GroupBy(m => m.Tier).OrderByDescending(g => g.Count()))
            {
                o.AppendLine(CultureInfo.InvariantCulture, $"| {g.Key} | {g.Count()} |");
            }

            o.AppendLine();
            o.AppendLine("By declaring type, nested types under their outer type, namespaces dropped from the arguments. `__Canon` stands for any reference type (one shared copy of the code); any other argument is a value type, which needs code of its own:");
            o.AppendLine();
            o.AppendLine("| declaring type | methods | instantiations (type arguments, or method: arguments) |");
            o.AppendLine("|---|---|---|");
            var split = methods.Select(m => Split(m.Method)).ToList();
            foreach (var g in split.GroupBy(t => Outer(t.Open)).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal))
            {
                string inst = string.Join(", ", g.Select(t => Short(t.Args)).Where(a => a.Length > 0).Distinct().Select(a => Code(a.Length > 90 ? a[..88] + "…" : a)));
                o.AppendLine(CultureInfo.InvariantCulture, $"| {Code(g.Key)} | {g.Count()} | {inst} |");
            }

            var dictionaries = split.Where(t => Outer(t.Open) == "System.Collections.Concurrent.ConcurrentDictionary`2").ToList();
            var valueKeys = dictionaries.Where(t => !t.Args.StartsWith("System.__Canon", StringComparison.Ordinal)).ToList();
            o.AppendLine();
            o.AppendLine(CultureInfo.InvariantCulture, $"ConcurrentDictionary (with its nested types): {dictionaries.Count} of the {methods.Count} methods; {valueKeys.Count} of them over value-type keys, in {valueKeys.Select(t => t.Args).Distinct().Count()} instantiations. No ReadyToRun image held code for them, so every child compiles them again.");
            Console.Write(o.ToString());
        }

        private static string Outer(string type) => type.Split('+')[0];

        // "System.ValueTuple`2[System.Guid,int]" becomes "ValueTuple`2[Guid,int]".
        private static string Short(string args) => System.Text.RegularExpressions.Regex.Replace(args, @"\b(?:[A-Za-z_][A-Za-z0-9_]*\.)+", string.Empty);

        // Type names hold backticks, so a code span needs double ones.
        private static string Code(string text) => "`` " + text + " ``";

        /// <summary>
        /// "Ns.Outer`2+Inner[int,System.__Canon]:M(...)" becomes ("Ns.Outer`2+Inner", "int,System.__Canon"). A
        /// generic method on a plain type keeps its type's name and shows its own arguments after "M:".
        /// </summary>
        private static (string Open, string Args) Split(string method)
        {
            int depth = 0;
            int colon = -1;
            for (int i = 0; i < method.Length && colon < 0; i++)
            {
                switch (method[i])
                {
                    case '[':
                        depth++;
                        break;
                    case ']':
                        depth--;
                        break;
                    case ':' when depth == 0:
                        colon = i;
                        break;
                }
            }

            string type = colon < 0 ? method : method[..colon];
            int open = type.IndexOf('[', StringComparison.Ordinal);
            if (open >= 0)
            {
                return (type[..open], type[(open + 1)..^1]);
            }

            // Not a generic type: show a generic method's arguments, if any.
            string rest = colon < 0 ? string.Empty : method[(colon + 1)..];
            int paren = rest.IndexOf('(', StringComparison.Ordinal);
            string name = paren < 0 ? rest : rest[..paren];
            int methodArgs = name.IndexOf('[', StringComparison.Ordinal);
            return methodArgs < 0 ? (type, string.Empty) : (type, name[..methodArgs] + ":" + name[(methodArgs + 1)..^1]);
        }
    }
}
