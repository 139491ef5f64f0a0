using System.Buffers.Binary;
using System.Reflection;
using System.Text;
using Econtext.Loading;
using Econtext.Wire;

namespace Econtext.Bootstrap;

/// <summary>
/// What the master writes after stage 0's marker: the core image for the loader, then the child's
/// configuration and the core's own dependencies, so the child never waits on a round trip to start.
/// Layout in docs/protocol.md ("Bootstrap").
/// </summary>
[System.Diagnostics.CodeAnalysis.RequiresUnreferencedCode(AotNotes.Images)]
[System.Diagnostics.CodeAnalysis.UnconditionalSuppressMessage("SingleFile", "IL3002", Justification = "The whole type requires unreferenced code for this reason (AotNotes.Images); in a single-file application the core has no file and Write fails with AssemblyCatalog's reason.")]
internal static class Preamble
{
    private static Lazy<CoreImages> s_core = new(LoadCore);

    /// <summary>
    /// <see cref="ChildMain.Run"/>'s metadata token, which the loader resolves in the image it receives
    /// (the same image as this one) instead of looking the type up by name.
    /// </summary>
    private static readonly int s_entryToken = typeof(ChildMain).GetMethod(nameof(ChildMain.Run))!.MetadataToken;

    /// <summary>The core image as raw DEFLATE, made once per process the first time ssh needs it (about half the size).</summary>
    private static readonly Lazy<byte[]> s_deflatedCore = new(() => Deflate(s_core.Value.Core));

    /// <summary>
    /// In a child, the core is not a file: it is re-read from the memfd the loader put it in, and its
    /// dependencies come from what the child received, so an intermediate can start contexts too.
    /// </summary>
    public static void UseChildImages(Func<byte[]> core, List<(string Name, byte[] Image)> dependencies) =>
        s_core = new Lazy<CoreImages>(() => new CoreImages(core(), dependencies));

    /// <summary>Image names the preamble carries, so calls do not push them again.</summary>
    public static IEnumerable<string> CarriedAssemblies =>
        s_core.Value.Dependencies.Select(d => d.Name).Prepend(typeof(Preamble).Assembly.GetName().Name!);

    /// <summary>
    /// Reads the images (and resolves the core's closure) on a pool thread while the transport is
    /// still connecting, so a master's first context does not wait for that after stage 0 answers.
    /// </summary>
    public static void PrepareInBackground(bool deflateCore)
    {
        if (!s_core.IsValueCreated || (deflateCore && !s_deflatedCore.IsValueCreated))
        {
            ThreadPool.UnsafeQueueUserWorkItem(
                static deflate =>
                {
                    try
                    {
                        _ = deflate ? s_deflatedCore.Value : s_core.Value.Core;
                    }
                    catch (Exception)
                    {
                        // Lazy keeps the exception; Write rethrows it where a connection can report it.
                    }
                },
                deflateCore,
                preferLocal: false);
        }
    }

    /// <summary>
    /// Writes the preamble. <paramref name="deflateCore"/> sends the core compressed (the loader
    /// inflates it): worth it where the bytes cross a network or a relaying process such as sshd,
    /// not on a pipe to a local child, where inflating would only add to its start.
    /// </summary>
    public static int Write(Stream output, ChildConfig config, bool deflateCore)
    {
        // Written in pieces straight from the cached images: only the lengths and the configuration
        // differ between connections, so nothing the size of the core is copied or rented per child.
        CoreImages images = s_core.Value;
        byte[] core = deflateCore ? s_deflatedCore.Value : images.Core;
        using var head = new FrameBuilder(16);
        if (deflateCore)
        {
            head.WriteInt32(int.MinValue | core.Length);
            head.WriteInt32(images.Core.Length);
        }
        else
        {
            head.WriteInt32(core.Length);
        }

        head.WriteInt32(s_entryToken);
        using var configuration = new FrameBuilder(256);
        int at = configuration.ReserveInt32();
        config.Write(configuration);
        configuration.PatchInt32(at, configuration.Position - at - 4);
        byte[] dependencies = images.DependencySection;

        // The header space of the builders is not part of the preamble.
        ReadOnlySpan<byte> headBytes = head.Written.Span[MessageHeader.Size..];
        ReadOnlySpan<byte> configBytes = configuration.Written.Span[MessageHeader.Size..];
        output.Write(headBytes);
        output.Write(core);
        output.Write(configBytes);
        output.Write(dependencies);
        output.Flush();
        return headBytes.Length + core.Length + configBytes.Length + dependencies.Length;
    }

    /// <summary>Child side, after the loader consumed the core image.</summary>
    public static (ChildConfig Config, List<(string Name, byte[] Image)> Dependencies) Read(Stream input)
    {
        byte[] config = new byte[ReadInt32(input)];
        input.ReadExactly(config);
        int count = ReadInt32(input);
        var dependencies = new List<(string, byte[])>(count);
        Span<byte> nameLength = stackalloc byte[2];
        for (int i = 0; i < count; i++)
        {
            input.ReadExactly(nameLength);
            byte[] name = new byte[BinaryPrimitives.ReadUInt16BigEndian(nameLength)];
            input.ReadExactly(name);
            byte[] image = new byte[ReadInt32(input)];
            input.ReadExactly(image);
            dependencies.Add((Encoding.UTF8.GetString(name), image));
        }

        return (ChildConfig.Read(config), dependencies);
    }

    private static int ReadInt32(Stream input)
    {
        Span<byte> bytes = stackalloc byte[4];
        input.ReadExactly(bytes);
        return BinaryPrimitives.ReadInt32BigEndian(bytes);
    }

    private static byte[] Deflate(byte[] image)
    {
        using var packed = new MemoryStream(image.Length / 2);
        using (var deflate = new System.IO.Compression.DeflateStream(packed, System.IO.Compression.CompressionLevel.Optimal, leaveOpen: true))
        {
            deflate.Write(image);
        }

        return packed.ToArray();
    }

    private static CoreImages LoadCore()
    {
        Assembly core = typeof(Preamble).Assembly;
        byte[] image = AssemblyCatalog.TryGetImage(core, out string? refusal)
            ?? throw new InvalidOperationException($"the Econtext core cannot be sent to children: {refusal}");
        // Only what the core references itself: a child loads those as it starts. Their own
        // references (Microsoft.Extensions.DependencyInjection.Abstractions, 66 KB, behind the
        // logging abstractions) are never loaded at start; a child that needs one later fetches it
        // from its parent, and a call whose code needs it pushes it ahead, like any assembly.
        var direct = new HashSet<string>(core.GetReferencedAssemblies().Select(a => a.Name ?? string.Empty), StringComparer.OrdinalIgnoreCase);
        var dependencies = new List<(string, byte[])>();
        foreach (Assembly dependency in AssemblyCatalog.Closure(core))
        {
            if (dependency == core || !direct.Contains(dependency.GetName().Name ?? string.Empty))
            {
                continue;
            }

            byte[] bytes = AssemblyCatalog.TryGetImage(dependency, out string? why)
                ?? throw new InvalidOperationException($"the Econtext core's dependency {dependency.GetName().Name} cannot be sent to children: {why}");
            dependencies.Add((dependency.GetName().Name!, bytes));
        }

        return new CoreImages(image, dependencies);
    }
}
