namespace Econtext.StartupProbe;

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
