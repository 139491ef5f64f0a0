namespace Econtext.Transports;

/// <summary>A started transport process with what its password handling needs kept alive until it is connected.</summary>
internal sealed class TransportLaunch : IDisposable
{
    private readonly AskPass? _askPass;

    private TransportLaunch(TransportProcess process, FailureHints hints, AskPass? askPass)
    {
        Process = process;
        Hints = hints;
        _askPass = askPass;
    }

    public TransportProcess Process { get; }

    public FailureHints Hints { get; }

    public static TransportLaunch Start(TransportSpec spec)
    {
        AskPass? askPass = null;
        var environment = new Dictionary<string, string>(spec.Environment ?? []);
        if (spec.PasswordMode == PasswordMode.AskPass && spec.Password is not null)
        {
            askPass = AskPass.Create(spec.Password);
            foreach ((string key, string value) in askPass.Environment())
            {
                environment[key] = value;
            }
        }

        try
        {
            TransportProcess process = TransportProcess.Start(spec, environment);
            var hints = new FailureHints(
                spec.Password is not null,
                () => askPass?.TimesAsked > 0 || process.PasswordTyped,
                () => process.PasswordRefused,
                () => process.PasswordMissing);
            return new TransportLaunch(process, hints, askPass);
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            askPass?.Dispose();
            throw new ConnectionException(
                ex.NativeErrorCode == Native.Spawn.Enoent ? ConnectionFailure.EngineUnavailable : ConnectionFailure.TransportExited,
                spec.Name.Length > 0 ? spec.Name : spec.Program,
                $"{spec.Name}: {spec.Program} could not be started: {ex.Message}. Install it, or give its full path in the options.",
                [],
                ex);
        }
    }

    public void Dispose() => _askPass?.Dispose();
}
