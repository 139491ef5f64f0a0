using System.Globalization;
using System.IO.Pipes;
using Econtext;

// Usage: dotnet Econtext.TestMaster.dll [push DIR]
// Prints "CHILD_PID=<pid>" and "GRANDCHILD_PID=<pid>" (a context started through the child) once
// both answer a call, then waits until it is killed. With "push DIR" it first starts pushing to
// DIR/child.bin in the child and DIR/grandchild.bin in the grandchild from sources that give 1 MiB
// and then stall, so that it dies mid-push, with a temporary file on the target holding that 1 MiB.
// With "container ENGINE CONTAINER [ENGINE-ARGS...]" (ENGINE the path of podman or docker, its
// environment this process's), "chroot DIR CACHE" (the runtime shipped into CACHE there),
// "nsenter PID" or "lxc NAME LXCPATH" it starts one context there instead, prints "CONTEXT_PID=<pid as the context sees
// it>" once it answers, and waits to be killed.
if (args is ["container", _, _, ..] or ["chroot", _, _] or ["nsenter", _] or ["lxc", _, _])
{
    await using var placeRouter = new Router(args is ["chroot", _, string cache] ? new RouterOptions { RuntimeCacheDirectory = cache } : null);
    Context inside = args switch
    {
        ["container", string engine, string container, .. string[] engineArgs] => Path.GetFileName(engine) == "docker"
            ? await placeRouter.DockerAsync(new DockerOptions { Container = container, DockerPath = engine, EngineArgs = engineArgs })
            : await placeRouter.PodmanAsync(new PodmanOptions { Container = container, PodmanPath = engine, EngineArgs = engineArgs }),
        ["chroot", string root, _] => await placeRouter.ChrootAsync(new ChrootOptions { Directory = root }),
        ["lxc", string name, string lxcPath] => await placeRouter.LxcAsync(new LxcOptions { Container = name, LxcPath = lxcPath }),
        _ => await placeRouter.NsenterAsync(new NsenterOptions { Pid = int.Parse(args[1], CultureInfo.InvariantCulture) }),
    };
    Console.WriteLine("CONTEXT_PID=" + (await inside.CallAsync(() => Orphan.ProcessId())).ToString(CultureInfo.InvariantCulture));
    Console.Out.Flush();
    await Task.Delay(Timeout.Infinite);
}

await using var router = new Router();
Context context = await router.LocalAsync(new LocalOptions { Name = "orphan" });
Context below = await router.LocalAsync(new LocalOptions { Name = "orphan-below", Via = context });
int pid = await context.CallAsync(() => Orphan.ProcessId());
int belowPid = await below.CallAsync(() => Orphan.ProcessId());
if (args is ["push", string directory])
{
    _ = context.PushStreamAsync(Stalled(1 << 20), Path.Combine(directory, "child.bin"));
    _ = below.PushStreamAsync(Stalled(1 << 20), Path.Combine(directory, "grandchild.bin"));
}

Console.WriteLine("CHILD_PID=" + pid.ToString(CultureInfo.InvariantCulture));
Console.WriteLine("GRANDCHILD_PID=" + belowPid.ToString(CultureInfo.InvariantCulture));
Console.Out.Flush();
await Task.Delay(Timeout.Infinite);

// The read end of a pipe whose writer writes `length` bytes and then keeps it open for ever.
static Stream Stalled(int length)
{
    var writer = new AnonymousPipeServerStream(PipeDirection.Out);
    var reader = new AnonymousPipeClientStream(PipeDirection.In, writer.ClientSafePipeHandle);
    _ = Task.Run(() => writer.Write(new byte[length]));
    return reader;
}

/// <summary>Runs in the child.</summary>
public static class Orphan
{
    public static int ProcessId() => Environment.ProcessId;
}
