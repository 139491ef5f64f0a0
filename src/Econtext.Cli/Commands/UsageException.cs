namespace Econtext.Cli.Commands;

/// <summary>A command line that cannot be run as given; the message says what is wrong and shows a correct one.</summary>
internal sealed class UsageException(string message) : Exception(message);
