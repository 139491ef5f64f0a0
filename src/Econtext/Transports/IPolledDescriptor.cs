namespace Econtext.Transports;

/// <summary>Something <see cref="DescriptorPoller"/> waits on: a descriptor, and what to do when it is ready.</summary>
internal interface IPolledDescriptor
{
    /// <summary>The descriptor to poll for input; it must stay open until <see cref="OnReady"/> returned true.</summary>
    int Descriptor { get; }

    /// <summary>
    /// Called on the poller's thread when the descriptor is readable, hung up or in error. Must not
    /// block beyond one read. True when done: the poller forgets the descriptor.
    /// </summary>
    bool OnReady();
}
