using System.Text;
using Econtext.Calls;
using Econtext.Routing;
using Econtext.Wire;
using Microsoft.Extensions.Logging;

namespace Econtext.Loading;

/// <summary>
/// Assemblies on the move: pushed ahead of the calls that need them (once per context, once per
/// subtree's first hop), kept by intermediates for their own children, served on request
/// (GET_ASSEMBLY, through <see cref="AssemblyService"/>), and fetched from the parent in a child.
/// </summary>
[System.Diagnostics.CodeAnalysis.RequiresUnreferencedCode(AotNotes.Images)]
[System.Diagnostics.CodeAnalysis.RequiresDynamicCode(AotNotes.Calls)]
internal sealed class AssemblyPusher
{
    private readonly Router router;
    private readonly ChildAssemblyResolver? _resolver;

    /// <summary>By context: the simple names it was sent (or will ask for and be refused).</summary>
    private readonly LockedMap<HashSet<string>> _pushed = new();
    private readonly Func<IEnumerable<string>> _carried;
    private AssemblyService? _service;

    /// <param name="router">The router whose switch the handlers go into.</param>
    /// <param name="carried">What every new context already has: the assemblies its preamble carried (asked only when a context is tracked: it loads the core's images).</param>
    /// <param name="resolver">In a child, where images are loaded and kept; null in the master.</param>
    public AssemblyPusher(Router router, Func<IEnumerable<string>> carried, ChildAssemblyResolver? resolver)
    {
        this.router = router;
        _carried = carried;
        _resolver = resolver;
        router.Switch.Add(Handles.GetAssembly, Policy.FromBelow, ServeAssembly);
        if (resolver is not null)
        {
            resolver.Fetch = FetchAssemblyFromParent;
            router.Switch.Add(Handles.LoadAssembly, Policy.FromAncestor, (_, message) => Add(message));

            // Keep what an ancestor sends through for our own children: the master sends it once per
            // subtree. Never what anyone else sent: we would serve it as the ancestor's.
            router.Switch.Tap(Handles.LoadAssembly, Policy.FromAncestor, (_, message) => Keep(message));
        }
    }

    /// <summary>A new context holds what the preamble carried.</summary>
    public void Track(int contextId) => _pushed[contextId] = new HashSet<string>(_carried(), StringComparer.OrdinalIgnoreCase);

    public void Forget(int contextId) => _pushed.TryRemove(contextId, out _);

    /// <summary>In a child: an assembly loaded from an image the parent pushed, by simple name.</summary>
    public System.Reflection.Assembly? PushedAssembly(string name) => _resolver?.Loaded(name);

    /// <summary>
    /// Sends the assemblies a call needs ahead of it, once per context. For a context reached through
    /// others, an assembly that already crossed the first hop is not sent again: every intermediate
    /// keeps what passes through it and answers its children's requests from there, so the master's
    /// link carries each assembly once per subtree.
    /// </summary>
    [System.Diagnostics.CodeAnalysis.UnconditionalSuppressMessage("SingleFile", "IL3002", Justification = "In a single-file app an assembly has no file: AssemblyCatalog.TryGetImage then refuses it with that reason, which the child reports.")]
    public void Push(Context context, MethodPlan plan)
    {
        if (!_pushed.TryGetValue(context.Id, out HashSet<string>? sent))
        {
            return;
        }

        HashSet<string>? firstHop = null;
        if (context.Via is not null && router.Routes.TryGetBelow(context.Id, out ContextStream? stream))
        {
            _pushed.TryGetValue(stream.RemoteId, out firstHop);
        }

        IReadOnlyList<System.Reflection.Assembly> required = plan.RequiredAssemblies ??= RequiredAssemblies(plan);
        lock (sent)
        {
            foreach (System.Reflection.Assembly assembly in required)
            {
                string name = assembly.GetName().Name!;
                if (sent.Contains(name) || (firstHop is not null && HoldsAssembly(firstHop, name)))
                {
                    continue;
                }

                byte[]? image = AssemblyCatalog.TryGetImage(assembly, out string? refusal);
                if (image is null || image.Length + 1024 > router.Options.MaxMessageSize)
                {
                    // The child will ask, and get the reason then.
                    router.Log.LogDebug("not pushing {Assembly} to {Context}: {Reason}", name, context.Name, refusal ?? "too large");
                    sent.Add(name);
                    continue;
                }

                var frame = new FrameBuilder(image.Length + 256);
                frame.WriteShortString(name);
                frame.WriteBytes(image);
                router.Outbox.Send(context.Id, Handles.LoadAssembly, Handles.None, MessageFlags.None, frame);
                router.Statistics.CountPush(image.Length);
                sent.Add(name);
                if (firstHop is not null)
                {
                    lock (firstHop)
                    {
                        firstHop.Add(name);
                    }
                }
            }
        }
    }

    private static bool HoldsAssembly(HashSet<string> names, string name)
    {
        lock (names)
        {
            return names.Contains(name);
        }
    }

    private static List<System.Reflection.Assembly> RequiredAssemblies(MethodPlan plan) =>
        RelatedAssemblies.For(plan.Method, plan.TypeArguments.Concat(plan.MethodArguments));

    /// <summary>GET_ASSEMBLY from below: answered through <see cref="AssemblyService"/>, which bounds what one stream can make this process hold.</summary>
    private void ServeAssembly(ContextStream from, Message request) =>
        LazyInitializer.EnsureInitialized(ref _service, () => new AssemblyService(router, LookUpAssembly, router.Log)).Accept(from, request);

    /// <summary>An image to answer GET_ASSEMBLY with, or why there is none (on a pool thread: an intermediate may wait for its parent).</summary>
    [System.Diagnostics.CodeAnalysis.UnconditionalSuppressMessage("SingleFile", "IL3002", Justification = "In a single-file app an assembly has no file: AssemblyCatalog.TryGetImage then refuses it with that reason, which the child reports.")]
    private (byte[]? Image, string? Refusal) LookUpAssembly(string name)
    {
        byte[]? image = _resolver?.GetImage(name);
        string? refusal = null;
        if (image is null && router.Routes.Parent is null)
        {
            image = AssemblyCatalog.TryGetImage(name, out refusal);
        }
        else if (image is null)
        {
            // An intermediate: fetch it once from above, keep it, and serve it.
            image = FetchAssemblyFromParent(name);
            if (image is not null)
            {
                _resolver!.Add(name, image);
            }
        }

        return (image, image is null ? refusal ?? $"{name} is not available from {router.Name}" : null);
    }

    /// <summary>In a child: asks the parent for an assembly and waits for it (never on a receive loop).</summary>
    private byte[]? FetchAssemblyFromParent(string name)
    {
        if (ReceiveLoop.OnReceiveThread)
        {
            router.Log.LogError("{Assembly} was needed on the receive loop, where waiting for it would deadlock", name);
            return null;
        }

        int parentId = router.Routes.Parent!.RemoteId;
        var waiter = new AssemblyWaiter(parentId);
        var frame = new FrameBuilder(name.Length * 3);
        frame.WriteBytes(Encoding.UTF8.GetBytes(name));
        int handle;
        try
        {
            handle = router.Request(parentId, Handles.GetAssembly, waiter, frame);
        }
        catch (StreamBrokenException)
        {
            return null;
        }

        // The answer comes through the receive loop, which this thread may have lent to run a call.
        ReceiveLoop.HandOverIfLent();
        if (!waiter.Task.Wait(TimeSpan.FromSeconds(60)))
        {
            router.Replies.TryRemove(handle);
            router.Log.LogError("the parent did not answer for {Assembly} within 60 s", name);
            return null;
        }

        (byte[]? image, string? refusal) = waiter.Task.Result;
        if (image is null)
        {
            router.Log.LogWarning("the parent refused {Assembly}: {Reason}", name, refusal);
        }

        return image;
    }

    private void Add(Message message)
    {
        (string name, byte[] image) = ControlPayloads.ReadLoadAssembly(message.Span);
        _resolver!.Add(name, image);
    }

    private void Keep(Message message)
    {
        (string name, byte[] image) = ControlPayloads.ReadLoadAssembly(message.Span);
        _resolver!.Keep(name, image);
    }
}
