namespace Econtext.Transports;

/// <summary>What the classifier needs to know about a connection attempt besides the transport's words.</summary>
internal sealed record FailureHints(bool PasswordGiven, Func<bool> PasswordUsed, Func<bool> PasswordRefused, Func<bool> PasswordMissing)
{
    public static FailureHints None { get; } = new(false, static () => false, static () => false, static () => false);
}
