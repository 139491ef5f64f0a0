using Microsoft.Win32.SafeHandles;

namespace Econtext.Transports;

/// <summary>
/// A handle's fd, referenced for the length of one native call: while the lease is held, disposing
/// the handle cannot close the fd, so its number cannot be reused for another file mid-call.
/// </summary>
internal readonly ref struct DescriptorLease : IDisposable
{
    private readonly SafeFileHandle _handle;

    /// <exception cref="ObjectDisposedException">The handle has been closed.</exception>
    public DescriptorLease(SafeFileHandle handle)
    {
        bool added = false;
        handle.DangerousAddRef(ref added);
        _handle = handle;
        Descriptor = (int)handle.DangerousGetHandle();
    }

    public int Descriptor { get; }

    public void Dispose() => _handle?.DangerousRelease();
}
