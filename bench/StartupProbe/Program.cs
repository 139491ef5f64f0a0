// Run by bench/startup-profile, which explains the figures. Modes:
//   measure N         sections 1 and 2 of the report (wall, CPU, threads, VmHWM)
//   starts N PIDFILE  N context starts for perf to sample; writes the master's and children's pids
//   jit FILE          one context with the JIT's method summary written to FILE; section 4
//   fanout N SSH_CONFIG HOST   N ssh contexts at once and a call each (bench/fanout-profile)
//   memory [CALLS]    a local context's resident memory by mapping after CALLS round trips
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
    case "memory":
        await MemoryMap.RunAsync(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 12000);
        break;
    case "fanout":
        await FanOutRun.RunAsync(int.Parse(args[1], CultureInfo.InvariantCulture), args[2], args[3]);
        break;
    default:
        Console.Error.WriteLine("usage: StartupProbe measure N | starts N PIDFILE | jit FILE | memory [CALLS] | fanout N SSH_CONFIG HOST");
        return 2;
}

return 0;
