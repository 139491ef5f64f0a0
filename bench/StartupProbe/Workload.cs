namespace Econtext.StartupProbe;

/// <summary>What the contexts run. It must live in this assembly, which the master pushes to each child.</summary>
public static class Workload
{
    public static int Ping() => 1;

    /// <summary>The child's own view of its memory, to tell the GC heap from the rest.</summary>
    public static string RuntimeMemory()
    {
        GCMemoryInfo info = GC.GetGCMemoryInfo();
        return $"gen0 GCs {GC.CollectionCount(0)}, gen1 {GC.CollectionCount(1)}, gen2 {GC.CollectionCount(2)}; heap {info.HeapSizeBytes / 1024} KiB, committed {info.TotalCommittedBytes / 1024} KiB, "
            + $"allocated {GC.GetTotalAllocatedBytes() / 1024} KiB; threads {Process.GetCurrentProcess().Threads.Count}, pool threads {ThreadPool.ThreadCount}; "
            + $"JIT methods {System.Runtime.JitInfo.GetCompiledMethodCount()}, JIT IL bytes {System.Runtime.JitInfo.GetCompiledILBytes()}";
    }
}
