using Econtext.Bootstrap;

namespace Econtext;

/// <summary>The ways to start a context: one method per transport, each a spec for the same bootstrap (<see cref="Connector"/>).</summary>
public sealed partial class Router
{
    /// <summary>Starts a context in a child process on this machine.</summary>
    /// <param name="options">How to start it; null takes the defaults.</param>
    /// <param name="cancellationToken">Abandons the start.</param>
    /// <returns>The new context, connected and ready for calls.</returns>
    /// <exception cref="ConnectionException">The context could not be started; <see cref="ConnectionException.Kind"/> says why and the message quotes what the transport printed.</exception>
    /// <exception cref="ContextDisconnectedException">The via context went away during the start.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; whatever was started is stopped.</exception>
    public Task<Context> LocalAsync(LocalOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new LocalOptions();
        return Connector.StartAsync(TransportSpecs.Local(options, Options), options.Via, cancellationToken);
    }

    /// <summary>
    /// Starts a context on another host through OpenSSH's ssh client. Failures are
    /// <see cref="ConnectionException"/>s that quote what ssh said and classify it.
    /// </summary>
    /// <param name="options">The host and how to reach it.</param>
    /// <param name="cancellationToken">Abandons the start.</param>
    /// <returns>The new context, connected and ready for calls.</returns>
    /// <exception cref="ConnectionException">The context could not be started; <see cref="ConnectionException.Kind"/> says why and the message quotes what the transport printed.</exception>
    /// <exception cref="ContextDisconnectedException">The via context went away during the start.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; whatever was started is stopped.</exception>
    public Task<Context> SshAsync(SshOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Connector.StartAsync(TransportSpecs.Ssh(options, Options), options.Via, cancellationToken);
    }

    /// <summary>Starts a context as another user through sudo, here or inside <see cref="SudoOptions.Via"/>.</summary>
    /// <param name="options">The target user, the password if sudo asks for one, and where to run sudo.</param>
    /// <param name="cancellationToken">Abandons the start.</param>
    /// <returns>The new context, connected and ready for calls.</returns>
    /// <exception cref="ConnectionException">The context could not be started; <see cref="ConnectionException.Kind"/> says why and the message quotes what the transport printed.</exception>
    /// <exception cref="ContextDisconnectedException">The via context went away during the start.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; whatever was started is stopped.</exception>
    public Task<Context> SudoAsync(SudoOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Connector.StartAsync(TransportSpecs.Sudo(options, Options), options.Via, cancellationToken);
    }

    /// <summary>Starts a context as another user through su, here or inside <see cref="SuOptions.Via"/>.</summary>
    /// <param name="options">The target user, the password if su asks for one, and where to run su.</param>
    /// <param name="cancellationToken">Abandons the start.</param>
    /// <returns>The new context, connected and ready for calls.</returns>
    /// <exception cref="ConnectionException">The context could not be started; <see cref="ConnectionException.Kind"/> says why and the message quotes what the transport printed.</exception>
    /// <exception cref="ContextDisconnectedException">The via context went away during the start.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; whatever was started is stopped.</exception>
    public Task<Context> SuAsync(SuOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Connector.StartAsync(TransportSpecs.Su(options, Options), options.Via, cancellationToken);
    }

    /// <summary>Starts a context as another user through doas, here or inside <see cref="DoasOptions.Via"/>.</summary>
    /// <param name="options">The target user, the password if doas asks for one, and where to run doas.</param>
    /// <param name="cancellationToken">Abandons the start.</param>
    /// <returns>The new context, connected and ready for calls.</returns>
    /// <exception cref="ConnectionException">The context could not be started; <see cref="ConnectionException.Kind"/> says why and the message quotes what the transport printed.</exception>
    /// <exception cref="ContextDisconnectedException">The via context went away during the start.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; whatever was started is stopped.</exception>
    public Task<Context> DoasAsync(DoasOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Connector.StartAsync(TransportSpecs.Doas(options, Options), options.Via, cancellationToken);
    }

    /// <summary>Starts a context inside a running podman container (<c>podman exec -i</c>), here or inside <see cref="ContainerOptions.Via"/>; the runtime is shipped in if the container has no .NET.</summary>
    /// <param name="options">The container, the user and directory in it, and where to run podman.</param>
    /// <param name="cancellationToken">Abandons the start.</param>
    /// <returns>The new context, connected and ready for calls.</returns>
    /// <exception cref="ConnectionException">The context could not be started; <see cref="ConnectionException.Kind"/> says why and the message quotes what the transport printed.</exception>
    /// <exception cref="ContextDisconnectedException">The via context went away during the start.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; whatever was started is stopped.</exception>
    public Task<Context> PodmanAsync(PodmanOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Connector.StartAsync(TransportSpecs.Podman(options, Options), options.Via, cancellationToken);
    }

    /// <summary>Starts a context inside a running Docker container (<c>docker exec -i</c>), here or inside <see cref="ContainerOptions.Via"/>; the runtime is shipped in if the container has no .NET.</summary>
    /// <param name="options">The container, the user and directory in it, and where to run docker.</param>
    /// <param name="cancellationToken">Abandons the start.</param>
    /// <returns>The new context, connected and ready for calls.</returns>
    /// <exception cref="ConnectionException">The context could not be started; <see cref="ConnectionException.Kind"/> says why and the message quotes what the transport printed.</exception>
    /// <exception cref="ContextDisconnectedException">The via context went away during the start.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; whatever was started is stopped.</exception>
    public Task<Context> DockerAsync(DockerOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Connector.StartAsync(TransportSpecs.Docker(options, Options), options.Via, cancellationToken);
    }

    /// <summary>Starts a context inside a buildah working container (<c>buildah run</c>), here or inside <see cref="BuildahOptions.Via"/>.</summary>
    /// <param name="options">The working container, the user in it, and where to run buildah.</param>
    /// <param name="cancellationToken">Abandons the start.</param>
    /// <returns>The new context, connected and ready for calls.</returns>
    /// <exception cref="ConnectionException">The context could not be started; <see cref="ConnectionException.Kind"/> says why and the message quotes what the transport printed.</exception>
    /// <exception cref="ContextDisconnectedException">The via context went away during the start.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; whatever was started is stopped.</exception>
    public Task<Context> BuildahAsync(BuildahOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Connector.StartAsync(TransportSpecs.Buildah(options, Options), options.Via, cancellationToken);
    }

    /// <summary>Starts a context inside a running LXC container (<c>lxc-attach</c>), here or inside <see cref="LxcOptions.Via"/>.</summary>
    /// <param name="options">The container, the user in it, and where to run lxc-attach.</param>
    /// <param name="cancellationToken">Abandons the start.</param>
    /// <returns>The new context, connected and ready for calls.</returns>
    /// <exception cref="ConnectionException">The context could not be started; <see cref="ConnectionException.Kind"/> says why and the message quotes what the transport printed.</exception>
    /// <exception cref="ContextDisconnectedException">The via context went away during the start.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; whatever was started is stopped.</exception>
    public Task<Context> LxcAsync(LxcOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Connector.StartAsync(TransportSpecs.Lxc(options, Options), options.Via, cancellationToken);
    }

    /// <summary>Starts a context in the namespaces of a running process (<c>nsenter</c>), here or inside <see cref="NsenterOptions.Via"/>.</summary>
    /// <param name="options">The process whose namespaces to enter, and the user to become there.</param>
    /// <param name="cancellationToken">Abandons the start.</param>
    /// <returns>The new context, connected and ready for calls.</returns>
    /// <exception cref="ConnectionException">The context could not be started; <see cref="ConnectionException.Kind"/> says why and the message quotes what the transport printed.</exception>
    /// <exception cref="ContextDisconnectedException">The via context went away during the start.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; whatever was started is stopped.</exception>
    public Task<Context> NsenterAsync(NsenterOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Connector.StartAsync(TransportSpecs.Nsenter(options, Options), options.Via, cancellationToken);
    }

    /// <summary>Starts a context whose root is another directory (<c>chroot</c>), here or inside <see cref="ChrootOptions.Via"/>.</summary>
    /// <param name="options">The directory, the user to run as there, and where to run chroot.</param>
    /// <param name="cancellationToken">Abandons the start.</param>
    /// <returns>The new context, connected and ready for calls.</returns>
    /// <exception cref="ConnectionException">The context could not be started; <see cref="ConnectionException.Kind"/> says why and the message quotes what the transport printed.</exception>
    /// <exception cref="ContextDisconnectedException">The via context went away during the start.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; whatever was started is stopped.</exception>
    public Task<Context> ChrootAsync(ChrootOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Connector.StartAsync(TransportSpecs.Chroot(options, Options), options.Via, cancellationToken);
    }
}
